"""Shared test setup: one build cache per test session (identical sources build once), GPU tests skipped without a
GPU, and a session-wide evaluator so worker start-up is paid once."""
from __future__ import annotations

import os
import tempfile

import pytest

_CACHE = os.environ.get("TRACE_KB_TEST_CACHE") or tempfile.mkdtemp(prefix="tkb-test-cache-")
os.makedirs(_CACHE, exist_ok=True)
os.environ["TRACE_KB_CACHE_DIR"] = _CACHE
os.environ.setdefault("TORCH_CUDA_ARCH_LIST", "9.0")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
if not os.environ.get("MODAL_TOKEN_ID"):
    # Modal reads its config when imported: an empty one here means no credentials, so nothing reaches Modal.
    _MODAL_CONFIG = os.path.join(_CACHE, "modal.toml")
    open(_MODAL_CONFIG, "a").close()
    os.environ["MODAL_CONFIG_PATH"] = _MODAL_CONFIG


def _cuda_available() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        return False


HAS_CUDA = _cuda_available()


def pytest_collection_modifyitems(config, items):
    if HAS_CUDA:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def evaluator():
    from trace_kernelbench.evaluation.isolated import IsolatedEvaluator
    ev = IsolatedEvaluator()
    yield ev
    ev.close()


@pytest.fixture(scope="session")
def local_evaluator():
    """The local pipeline (fork server, one build worker, one runner), shared by the evaluator and server tests."""
    from trace_kernelbench.evaluators.local import LocalEvaluator
    ev = LocalEvaluator(build_workers=1)
    yield ev
    ev.close()


@pytest.fixture(scope="session")
def cache_dir():
    return _CACHE
