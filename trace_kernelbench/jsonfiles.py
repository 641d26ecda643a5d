"""Reading JSON files users hand us (run summaries, published results): one clear line when they are unreadable."""
from __future__ import annotations

import json
from pathlib import Path

from trace_kernelbench.errors import UserError


def read_json_object(path: Path) -> dict:
    """The JSON object in `path`, or UserError naming the file and what is wrong with it."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data
