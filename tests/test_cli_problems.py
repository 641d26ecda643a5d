"""The `problems`, `show` and `prompt` commands, run as a user runs them (a subprocess), including their error contract:
exit code 2, exactly one line on stderr, no traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kbfake import RELU, make_checkout_2026, make_checkout_old, make_hf_dataset, write

SUITE = Path(__file__).resolve().parents[1] / "trace_kernelbench" / "problems" / "suite"


def run_cli(*args, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if k not in ("TRACE_KB_KERNELBENCH_DIR", "TRACE_KB_HF_DATASET")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "trace_kernelbench.cli.main", *map(str, args)], capture_output=True,
                          text=True, env=full_env, cwd=cwd, timeout=300)


def assert_user_error(r, *fragments):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="module")
def kb2026(tmp_path_factory):
    return make_checkout_2026(tmp_path_factory.mktemp("kb") / "KernelBench-2026")


@pytest.fixture(scope="module")
def kbold(tmp_path_factory):
    return make_checkout_old(tmp_path_factory.mktemp("kb") / "KernelBench-old")


# ---------------------------------------------------------------- problems
def test_problems_json_embedded():
    r = run_cli("problems", "--json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert len(items) >= 24
    for it in items:
        assert {"id", "name", "level", "origin"} <= set(it)
        assert it["origin"] == "embedded" and it["id"] == f"embedded/{it['name']}"
    assert {it["name"] for it in items} == {p.stem for p in SUITE.glob("*.py") if not p.name.startswith("_")}


def test_problems_level_filter():
    items = json.loads(run_cli("problems", "--json", "--level", "2").stdout)
    assert items and all(it["level"] == 2 for it in items)


def test_problems_table():
    r = run_cli("problems")
    assert r.returncode == 0, r.stderr
    assert "embedded/relu" in r.stdout and "origin" in r.stdout


@pytest.mark.parametrize("layout", ["kb2026", "kbold"])
def test_problems_kernelbench_checkout(layout, request):
    root = request.getfixturevalue(layout)
    r = run_cli("problems", "--source", "kernelbench", "--kernelbench-dir", root, "--json")
    assert r.returncode == 0, r.stderr
    assert [it["id"] for it in json.loads(r.stdout)] == ["kernelbench/L1/1", "kernelbench/L1/19", "kernelbench/L2/12"]
    r = run_cli("problems", "--source", "kernelbench", "--level", "1", "--json",
                env={"TRACE_KB_KERNELBENCH_DIR": str(root)})
    assert [it["name"] for it in json.loads(r.stdout)] == ["1_Square_matrix_multiplication_", "19_ReLU"]


def test_problems_hf(tmp_path):
    pytest.importorskip("datasets")
    ds = make_hf_dataset(tmp_path / "ds")
    r = run_cli("problems", "--source", "hf", "--json", env={"TRACE_KB_HF_DATASET": str(ds)})
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert [(it["id"], it["origin"]) for it in items] == [
        ("kernelbench/L1/1", "hf"), ("kernelbench/L1/19", "hf"), ("kernelbench/L2/12", "hf")]
    r = run_cli("show", "kernelbench/L1/19", "--source", "hf", env={"TRACE_KB_HF_DATASET": str(ds)})
    assert r.returncode == 0 and r.stdout == RELU


# ---------------------------------------------------------------- show
def test_show_embedded():
    r = run_cli("show", "embedded/relu")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (SUITE / "relu.py").read_text()
    assert len(r.stderr.splitlines()) == 1 and "embedded/relu" in r.stderr


def test_show_kernelbench_and_file(kb2026, tmp_path):
    r = run_cli("show", "kernelbench/L1/19", "--kernelbench-dir", kb2026)
    assert r.returncode == 0 and r.stdout == RELU and "19_ReLU" in r.stderr
    f = write(tmp_path / "mine.py", RELU.rstrip("\n"))  # no final newline: show adds one
    r = run_cli("show", f)
    assert r.returncode == 0 and r.stdout == RELU


# ---------------------------------------------------------------- prompt
@pytest.mark.parametrize("backend, marker", [("cuda", "cuda_sources="), ("triton", "@triton.jit"),
                                             ("cpp", "## Backend: C++ (CPU)")])
def test_prompt_backends(backend, marker):
    r = run_cli("prompt", "embedded/relu", "--backend", backend)
    assert r.returncode == 0, r.stderr
    assert (SUITE / "relu.py").read_text().strip() in r.stdout
    assert marker in r.stdout and "class ModelNew(nn.Module)" in r.stdout
    assert r.stderr == ""


def test_prompt_default_backend_is_cuda():
    assert "cuda_sources=" in run_cli("prompt", "embedded/relu").stdout


def test_prompt_gpu_notes():
    r = run_cli("prompt", "embedded/softmax", "--gpu", "H200")
    assert r.returncode == 0, r.stderr
    assert "## Target hardware" in r.stdout and "NVIDIA H200" in r.stdout and "4.8 TB/s" in r.stdout


@pytest.mark.parametrize("layout, expected", [("kb2026", "FAKE-KB-2026 backend=triton"), ("kbold", None)])
def test_prompt_style_kernelbench(layout, expected, request):
    root = request.getfixturevalue(layout)
    backend = "triton" if layout == "kb2026" else "cuda"
    r = run_cli("prompt", "kernelbench/L1/19", "--style", "kernelbench", "--backend", backend,
                "--kernelbench-dir", root)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(expected or "FAKE-KB-OLD cuda\n") and r.stdout.endswith(RELU)
    assert "fake upstream" not in r.stdout  # the constructor's own prints go to stderr


# ---------------------------------------------------------------- errors: exit 2, one line, no traceback
def test_error_unknown_problem():
    assert_user_error(run_cli("show", "no_such_problem"), "unknown problem 'no_such_problem'")
    assert_user_error(run_cli("prompt", "embedded/nope"), "unknown embedded problem 'nope'")


def test_error_bad_level():
    assert_user_error(run_cli("problems", "--level", "9"), "bad level 9")
    assert_user_error(run_cli("show", "kernelbench/L7/1"), "bad level 7")
    assert_user_error(run_cli("problems", "--level", "two"), "invalid int value")


def test_error_missing_id(kb2026):
    assert_user_error(run_cli("show", "kernelbench/L1/77", "--kernelbench-dir", kb2026), "has no problem 77")


def test_error_missing_checkout(tmp_path):
    assert_user_error(run_cli("problems", "--source", "kernelbench", "--kernelbench-dir", tmp_path / "none"),
                      "no KernelBench checkout at")
    assert_user_error(run_cli("prompt", "embedded/relu", "--style", "kernelbench", "--kernelbench-dir",
                              tmp_path / "none"), "needs a KernelBench checkout")


def test_error_malformed_file(tmp_path):
    f = write(tmp_path / "broken.py", "import torch\nclass Model(:\n")
    assert_user_error(run_cli("show", f), "broken.py: not valid Python (line 2")
    g = write(tmp_path / "partial.py", RELU.replace("def get_inputs", "def make_inputs"))
    assert_user_error(run_cli("prompt", g), "missing get_inputs")


def test_error_prompt_options(kb2026):
    assert_user_error(run_cli("prompt", "embedded/relu", "--gpu", "X100"), "unknown GPU 'X100'", "H100")
    assert_user_error(run_cli("prompt", "embedded/relu", "--backend", "cpp", "--gpu", "H100"), "cpp backend")
    assert_user_error(run_cli("prompt", "embedded/relu", "--backend", "rust"), "invalid choice: 'rust'")
    assert_user_error(run_cli("prompt", "embedded/relu", "--style", "kernelbench", "--backend", "cpp",
                              "--kernelbench-dir", kb2026), "no 'cpp' backend")


def test_error_kernelbench_style_missing_module(tmp_path):
    root = make_checkout_2026(tmp_path / "kb", constructor="import tomli_not_installed_anywhere\n")
    assert_user_error(run_cli("prompt", "embedded/relu", "--style", "kernelbench", "--kernelbench-dir", root),
                      "needs the Python module 'tomli_not_installed_anywhere'")
