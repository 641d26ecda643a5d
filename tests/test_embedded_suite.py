"""The embedded suite: every problem validates, declares a small size, keeps full-size inputs within memory, and
rejects trivial answers (zeros, the best constant, a copy of an input) at the default tolerances."""
from __future__ import annotations

import pytest
import torch

from trace_kernelbench.evaluation.compare import compare_outputs
from trace_kernelbench.evaluation.loading import load_problem_module
from trace_kernelbench.problems import list_problems

PROBLEMS = list_problems("embedded")
IDS = [p.id for p in PROBLEMS]
TRIALS = 5


def test_suite_covers_the_level1_categories_and_fused_chains():
    names = {p.name for p in PROBLEMS}
    assert len(PROBLEMS) >= 24
    assert sum(p.level == 2 for p in PROBLEMS) >= 6
    for needed in ("relu", "softmax", "log_softmax", "layernorm", "matmul_square", "matmul_batched", "matvec",
                   "conv2d", "maxpool2d", "mse_loss", "cumsum", "attention", "sum_dim"):
        assert needed in names


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
def test_full_size_inputs_fit_in_memory(problem):
    mod = load_problem_module(problem.source, "full", name=f"full_{problem.name}")
    with torch.device("meta"):
        inputs = mod.get_inputs()
    nbytes = sum(t.numel() * t.element_size() for t in inputs if isinstance(t, torch.Tensor))
    assert 0 < nbytes <= 4 * 2**30, f"{problem.id}: full-size inputs are {nbytes / 2**20:.0f} MiB"


def _best_constant(ref_out: torch.Tensor):
    """The constant a cheat would pick after seeing one reference output: its mean (or mode for integers)."""
    if ref_out.is_floating_point():
        return float(ref_out.mean())
    return int(torch.mode(ref_out.flatten()).values)


def _trivial_answers(ref_out: torch.Tensor, inputs: list, constant) -> dict[str, torch.Tensor]:
    """Zeros, one fixed constant (learned from the first trial, then reused), and copies of inputs."""
    answers = {"zeros": torch.zeros_like(ref_out), "constant": torch.full_like(ref_out, constant)}
    for i, x in enumerate(inputs):
        if isinstance(x, torch.Tensor) and x.numel() == ref_out.numel():
            answers[f"copy-of-input-{i}"] = x.reshape(ref_out.shape).to(ref_out.dtype).clone()
    return answers


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
def test_trivial_answers_fail_correctness(problem):
    assert problem.has_small_size, f"{problem.id} declares no SMALL_SIZES"
    mod = load_problem_module(problem.source, "small", name=f"small_{problem.name}")
    torch.manual_seed(42)
    model = mod.Model(*mod.get_init_inputs())
    passes: dict[str, int] = {}
    constant = None
    with torch.no_grad():
        for trial in range(TRIALS):
            torch.manual_seed(1000 + trial)
            inputs = mod.get_inputs()
            ref = model(*[x.clone() for x in inputs])
            assert isinstance(ref, torch.Tensor)
            assert torch.isfinite(ref.float()).all(), f"{problem.id}: reference output has NaN/inf"
            constant = _best_constant(ref) if constant is None else constant
            for name, answer in _trivial_answers(ref, inputs, constant).items():
                passes[name] = passes.get(name, 0) + compare_outputs(ref, answer).ok
    cheats = [name for name, n in passes.items() if n == TRIALS]
    assert not cheats, f"{problem.id}: trivial answers pass every trial: {cheats}"
