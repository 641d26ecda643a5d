"""Problem resolution and listing for every source (embedded, KernelBench checkout in both layouts, Hugging Face
dataset on disk, file), malformed problems, and `--style kernelbench` prompts through fake upstream constructors."""
from __future__ import annotations

import sys
import textwrap

import pytest

from kbfake import (PROBLEMS, RELU, make_checkout_2026, make_checkout_old, make_hf_dataset, make_problems,
                    write)
from trace_kernelbench.errors import UserError
from trace_kernelbench.problems import Problem, ProblemError, list_problems, resolve_problem, validate_source
from trace_kernelbench.problems import sources
from trace_kernelbench.prompts import build_prompt

LAYOUTS = {"2026": make_checkout_2026, "old": make_checkout_old}


@pytest.fixture(params=sorted(LAYOUTS))
def checkout(request, tmp_path):
    return LAYOUTS[request.param](tmp_path / f"kb-{request.param}")


# ---------------------------------------------------------------- embedded suite
def test_embedded_suite_lists_and_resolves():
    probs = list_problems("embedded")
    assert len(probs) >= 24
    ids = [p.id for p in probs]
    assert len(set(ids)) == len(ids)
    for p in probs:
        assert p.origin == "embedded" and p.level in sources.LEVELS
        assert resolve_problem(p.id).source == p.source
        validate_source(p.source, p.id)


def test_embedded_by_short_name_and_fields():
    p = resolve_problem("embedded/relu")
    assert p == resolve_problem("relu")
    assert (p.id, p.name, p.level, p.origin) == ("embedded/relu", "relu", 1, "embedded")
    assert "class Model" in p.source and p.has_small_size
    s = p.summary()
    assert {"id", "name", "level", "origin", "sha256"} <= set(s) and "source" not in s
    assert Problem.from_dict(p.to_dict()) == p


def test_embedded_level_filter():
    level2 = list_problems("embedded", level=2)
    assert level2 and all(p.level == 2 for p in level2)
    assert len(level2) < len(list_problems("embedded"))


@pytest.mark.parametrize("spec", ["embedded/no_such_problem", "embedded/../problem", "embedded/", "no_such_thing"])
def test_unknown_embedded(spec):
    with pytest.raises(ProblemError) as e:
        resolve_problem(spec)
    assert "\n" not in str(e.value)


def test_unknown_source():
    with pytest.raises(ProblemError, match="unknown problem source 'github'"):
        list_problems("github")
    with pytest.raises(ProblemError, match="unknown problem source"):
        resolve_problem("embedded/relu", source="github")


# ---------------------------------------------------------------- KernelBench checkout
def test_kernelbench_checkout_resolves(checkout):
    p = resolve_problem("kernelbench/L1/19", kernelbench_dir=checkout)
    assert (p.id, p.name, p.level, p.origin) == ("kernelbench/L1/19", "19_ReLU", 1, "kernelbench")
    assert p.source == RELU
    assert p.path == str(checkout / "KernelBench" / "level1" / "19_ReLU.py")
    assert resolve_problem("kb/L2/12", kernelbench_dir=checkout).name == "12_Gemm_Relu_Scale"


def test_kernelbench_listing(checkout):
    all_ = list_problems("kernelbench", kernelbench_dir=checkout)
    assert [p.id for p in all_] == ["kernelbench/L1/1", "kernelbench/L1/19", "kernelbench/L2/12"]
    assert [p.id for p in list_problems("kernelbench", level=2, kernelbench_dir=checkout)] == ["kernelbench/L2/12"]


def test_kernelbench_dir_from_env(checkout, monkeypatch):
    monkeypatch.setenv(sources.KERNELBENCH_DIR_ENV, str(checkout))
    assert sources.default_kernelbench_dir() == checkout
    assert resolve_problem("kernelbench/L1/1").source == PROBLEMS[1][1][1]


def test_kernelbench_missing_id(checkout):
    with pytest.raises(ProblemError, match=r"level 1 has no problem 99 \(ids 1\.\.19\)"):
        resolve_problem("kernelbench/L1/99", kernelbench_dir=checkout)


@pytest.mark.parametrize("spec", ["kernelbench/L5/1", "kernelbench/L0/1"])
def test_kernelbench_bad_level(spec, checkout):
    with pytest.raises(ProblemError, match="bad level"):
        resolve_problem(spec, kernelbench_dir=checkout)


@pytest.mark.parametrize("level", [0, 5, -1])
def test_listing_bad_level(level, checkout):
    with pytest.raises(ProblemError, match=f"bad level {level}"):
        list_problems("kernelbench", level=level, kernelbench_dir=checkout)


@pytest.mark.parametrize("spec", ["kernelbench/L1", "kernelbench/1/19", "kb/Lx/3", "hf/L1/"])
def test_kernelbench_malformed_id(spec):
    with pytest.raises(ProblemError, match="bad problem id"):
        resolve_problem(spec)


def test_kernelbench_missing_level_dir(checkout):
    with pytest.raises(ProblemError, match="no KernelBench/level3 folder"):
        resolve_problem("kernelbench/L3/1", kernelbench_dir=checkout)


def test_kernelbench_missing_checkout(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ProblemError, match="no KernelBench checkout at"):
        resolve_problem("kernelbench/L1/19", kernelbench_dir=missing)
    with pytest.raises(ProblemError, match="no KernelBench checkout at"):
        list_problems("kernelbench", kernelbench_dir=missing)


# ---------------------------------------------------------------- malformed problems
MISSING_GET_INPUTS = textwrap.dedent('''\
    import torch.nn as nn

    class Model(nn.Module):
        def forward(self, x):
            return x

    def get_init_inputs():
        return []
    ''')


def test_malformed_syntax_error(tmp_path):
    root = tmp_path / "kb"
    make_problems(root, {1: {3: ("3_Broken.py", "import torch\n\nclass Model(:\n    pass\n")}})
    with pytest.raises(ProblemError, match=r"3_Broken.py: not valid Python \(line 3"):
        resolve_problem("kernelbench/L1/3", kernelbench_dir=root)


def test_malformed_missing_get_inputs(tmp_path):
    root = tmp_path / "kb"
    make_problems(root, {1: {4: ("4_NoInputs.py", MISSING_GET_INPUTS)}})
    with pytest.raises(ProblemError) as e:
        resolve_problem("kernelbench/L1/4", kernelbench_dir=root)
    assert "missing get_inputs" in str(e.value) and "get_init_inputs" not in str(e.value).split("missing")[1]
    with pytest.raises(ProblemError, match="missing get_inputs"):  # a bad file also fails the listing, by name
        list_problems("kernelbench", kernelbench_dir=root)


def test_malformed_names_every_missing_definition():
    with pytest.raises(ProblemError, match="missing Model, get_inputs, get_init_inputs"):
        validate_source("x = 1\n", "somewhere.py")


def test_malformed_nul_bytes():
    with pytest.raises(ProblemError, match="not valid Python"):
        validate_source("x = 1\0\n", "nul.py")


# ---------------------------------------------------------------- plain files
def test_file_source(tmp_path):
    f = write(tmp_path / "level2" / "7_MyOp.py", RELU)
    p = resolve_problem(str(f))
    assert (p.name, p.level, p.origin, p.source) == ("MyOp", 2, "file", RELU)  # level from the folder name
    g = write(tmp_path / "mine.py", "LEVEL = 3\n" + RELU)
    assert resolve_problem(str(g)).level == 3  # level from the LEVEL constant


def test_file_errors(tmp_path):
    with pytest.raises(ProblemError, match="no such problem file"):
        resolve_problem(str(tmp_path / "absent.py"))
    bad = write(tmp_path / "bad.py", MISSING_GET_INPUTS)
    with pytest.raises(ProblemError, match="bad.py: not a KernelBench problem: missing get_inputs"):
        resolve_problem(str(bad))
    lvl = write(tmp_path / "lvl.py", 'LEVEL = "two"\n' + RELU)
    with pytest.raises(ProblemError, match="LEVEL must be an integer"):
        resolve_problem(str(lvl))


# ---------------------------------------------------------------- Hugging Face dataset (saved to disk)
@pytest.fixture(scope="module")
def hf_dataset(tmp_path_factory):
    pytest.importorskip("datasets")
    return make_hf_dataset(tmp_path_factory.mktemp("hf") / "kernelbench-ds")


def test_hf_resolve_and_list(hf_dataset, monkeypatch):
    monkeypatch.setenv("TRACE_KB_HF_DATASET", str(hf_dataset))
    assert sources.hf_dataset_name() == str(hf_dataset)
    p = resolve_problem("kernelbench/L1/19", source="hf")
    assert (p.name, p.level, p.origin, p.source) == ("19_ReLU", 1, "hf", RELU)
    assert resolve_problem("hf/L2/12").name == "12_Gemm_Relu_Scale"
    assert [q.id for q in list_problems("hf")] == ["kernelbench/L1/1", "kernelbench/L1/19", "kernelbench/L2/12"]
    assert [q.id for q in list_problems("hf", level=2)] == ["kernelbench/L2/12"]


def test_hf_errors(hf_dataset, monkeypatch):
    monkeypatch.setenv("TRACE_KB_HF_DATASET", str(hf_dataset))
    with pytest.raises(ProblemError, match="no level 1 problem 42"):
        resolve_problem("hf/L1/42")
    with pytest.raises(ProblemError, match="has no split level_3"):
        resolve_problem("hf/L3/1")
    with pytest.raises(ProblemError, match="has no split level_4"):
        list_problems("hf", level=4)


def test_hf_malformed_row(tmp_path, monkeypatch):
    pytest.importorskip("datasets")
    ds = make_hf_dataset(tmp_path / "bad-ds", {1: [{"code": MISSING_GET_INPUTS, "level": 1, "name": "5_X.py",
                                                    "problem_id": 5}]})
    monkeypatch.setenv("TRACE_KB_HF_DATASET", str(ds))
    with pytest.raises(ProblemError, match=r"hf/L1/5: not a KernelBench problem: missing get_inputs"):
        resolve_problem("hf/L1/5")


def test_hf_explicit_dataset_argument(hf_dataset):
    assert resolve_problem("hf/L1/1", hf_dataset=str(hf_dataset)).name == "1_Square_matrix_multiplication_"


# ---------------------------------------------------------------- --style kernelbench via the checkout's constructor
def _modules_snapshot():
    return {n for n in sys.modules if n in ("src", "kernelbench") or n.startswith(("src.", "kernelbench."))}


def test_upstream_prompt_2026(tmp_path, capsys):
    root = make_checkout_2026(tmp_path / "kb")
    before, path_before = _modules_snapshot(), list(sys.path)
    p = resolve_problem("kernelbench/L1/19", kernelbench_dir=root)
    text = build_prompt(p, backend="triton", style="kernelbench", kernelbench_dir=root)
    assert text.startswith("FAKE-KB-2026 backend=triton option=one_shot precision=fp32 hardware=False gpu=None")
    assert text.endswith(RELU)
    hw = build_prompt(p, backend="cuda", gpu="H100", style="kernelbench", kernelbench_dir=root)
    assert "backend=cuda" in hw and "hardware=True gpu=H100" in hw
    out, err = capsys.readouterr()
    assert out == "" and "fake upstream: loading prompt templates" in err  # upstream prints never reach stdout
    assert _modules_snapshot() == before and sys.path == path_before  # the import left nothing behind


def test_upstream_prompt_old_layout(tmp_path):
    root = make_checkout_old(tmp_path / "kb")
    p = resolve_problem("kernelbench/L1/19", kernelbench_dir=root)
    assert build_prompt(p, style="kernelbench", kernelbench_dir=root) == f"FAKE-KB-OLD cuda\n=== reference ===\n{RELU}"
    hw = build_prompt(p, gpu="L40S", style="kernelbench", kernelbench_dir=root)
    assert hw.startswith("FAKE-KB-OLD cuda hardware gpu=L40S")
    with pytest.raises(UserError, match="no prompt template function for the triton backend"):
        build_prompt(p, backend="triton", style="kernelbench", kernelbench_dir=root)


def test_upstream_two_checkouts_in_one_process(tmp_path):
    a = make_checkout_2026(tmp_path / "a", marker="CHECKOUT-A")
    b = make_checkout_2026(tmp_path / "b", marker="CHECKOUT-B")
    assert build_prompt(RELU, style="kernelbench", kernelbench_dir=a).startswith("CHECKOUT-A")
    assert build_prompt(RELU, style="kernelbench", kernelbench_dir=b).startswith("CHECKOUT-B")


def test_upstream_default_checkout_from_env(tmp_path, monkeypatch):
    root = make_checkout_old(tmp_path / "kb", marker="FROM-ENV")
    monkeypatch.setenv(sources.KERNELBENCH_DIR_ENV, str(root))
    assert build_prompt(RELU, style="kernelbench").startswith("FROM-ENV cuda")


def test_upstream_errors(tmp_path):
    root = make_checkout_2026(tmp_path / "kb")
    with pytest.raises(UserError, match="no 'cpp' backend"):
        build_prompt(RELU, backend="cpp", style="kernelbench", kernelbench_dir=root)
    with pytest.raises(UserError, match="constructor failed: KeyError: .*GPU name B200 not found"):
        build_prompt(RELU, gpu="B200", style="kernelbench", kernelbench_dir=root)
    with pytest.raises(UserError, match="needs a KernelBench checkout"):
        build_prompt(RELU, style="kernelbench", kernelbench_dir=tmp_path / "absent")
    make_problems(tmp_path / "bare")
    with pytest.raises(UserError, match="has no KernelBench prompt constructor"):
        build_prompt(RELU, style="kernelbench", kernelbench_dir=tmp_path / "bare")


def test_upstream_missing_dependency(tmp_path):
    root = make_checkout_2026(tmp_path / "kb", constructor="import tomli_not_installed_anywhere\n")
    with pytest.raises(UserError) as e:
        build_prompt(RELU, style="kernelbench", kernelbench_dir=root)
    msg = str(e.value)
    assert "needs the Python module 'tomli_not_installed_anywhere'" in msg and "\n" not in msg
    assert "kernelbench" not in sys.modules


def test_upstream_incomplete_checkout(tmp_path):
    root = make_checkout_old(tmp_path / "kb")
    (root / "src" / "utils.py").unlink()
    with pytest.raises(UserError, match=r"checkout is incomplete: .* imports 'src.utils'"):
        build_prompt(RELU, style="kernelbench", kernelbench_dir=root)


TOML_CONSTRUCTOR = textwrap.dedent('''\
    import tomli

    CONFIG = tomli.loads('greeting = "TOML-OK"')


    def get_prompt_for_backend(ref_arch_src, backend="triton", option="one_shot", precision=None,
                               include_hardware=False, gpu_name=None):
        return f"{CONFIG['greeting']} {backend}\\n{ref_arch_src}"
    ''')


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is in the standard library from Python 3.11")
def test_upstream_tomli_shim(tmp_path):
    import importlib.util
    if importlib.util.find_spec("tomli") is not None:
        pytest.skip("tomli is installed: the shim is not used")
    root = make_checkout_2026(tmp_path / "kb", constructor=TOML_CONSTRUCTOR)
    assert build_prompt(RELU, style="kernelbench", kernelbench_dir=root) == f"TOML-OK cuda\n{RELU}"
    assert "tomli" not in sys.modules  # lent only while upstream code runs


def test_real_checkout_if_present():
    """Against the KernelBench checkout install.sh clones (skipped without one)."""
    from trace_kernelbench.prompts.upstream import detect_layout
    root = sources.default_kernelbench_dir()
    if not root.is_dir() or detect_layout(root) is None:
        pytest.skip(f"no KernelBench checkout at {root}")
    p = resolve_problem("kernelbench/L1/19", kernelbench_dir=root)
    assert p.name.startswith("19_") and p.level == 1
    assert len(list_problems("kernelbench", level=1, kernelbench_dir=root)) >= 90
    for backend in ("cuda", "triton"):
        text = build_prompt(p, backend=backend, style="kernelbench", kernelbench_dir=root)
        assert p.source.strip() in text and "ModelNew" in text
