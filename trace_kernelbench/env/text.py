"""The env's text spaces: printable-ASCII `gymnasium.spaces.Text` of a generous length, and the function that makes
any text fit in one (typographic characters transliterated, other non-printables replaced, overlong text cut)."""
from __future__ import annotations

import string
import unicodedata

from trace_kernelbench.defaults import TEXT_MAX_LENGTH

CHARSET = string.printable
_ALLOWED = frozenset(CHARSET)
_TRANSLIT = {"\u2014": "--", "\u2013": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
             "\u2026": "...", "\u00d7": "x", "\u2192": "->", "\u2264": "<=", "\u2265": ">=", "\u00a0": " "}
_CUT = "\n... [cut: {n} more characters]\n"


def text_space(max_length: int = TEXT_MAX_LENGTH):
    from gymnasium import spaces
    return spaces.Text(max_length=max_length, min_length=0, charset=CHARSET)


def printable(text: str, max_length: int = TEXT_MAX_LENGTH) -> str:
    """`text` as printable ASCII of at most `max_length` characters (keeping its head and its tail when cut)."""
    if not isinstance(text, str):
        text = str(text)
    if not all(c in _ALLOWED for c in text):
        out = []
        for c in text:
            if c in _ALLOWED:
                out.append(c)
            elif c in _TRANSLIT:
                out.append(_TRANSLIT[c])
            else:
                base = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
                out.append(base if base and all(b in _ALLOWED for b in base) else "?")
        text = "".join(out)
    if len(text) > max_length:
        budget = max(0, max_length - 64)          # the marker is shorter than 64 characters
        head, tail = budget * 3 // 4, budget - budget * 3 // 4
        marker = _CUT.format(n=len(text) - head - tail)
        text = (text[:head] + marker + (text[-tail:] if tail else ""))[:max_length]
    return text
