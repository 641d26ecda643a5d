"""Problem-suite self-check: for each problem, prove that trivial answers are caught.

Four candidates per problem, each a `ModelNew` that runs a private copy of the reference to learn the output's
shape and dtype, then returns:
  zeros       zeros of the right shape                       -> must fail correctness (policy off)
  constant    one value everywhere, fixed at the first call  -> must fail correctness (policy off)
              (the mean of that call's true output)
  input_copy  the first input's values in the output's shape -> must fail correctness (policy off)
  reference   the reference itself                          -> must be rejected under strict, and be correct
                                                               under off (else the problem is nondeterministic)
A problem where any of the first three passes is *weak*: its tolerance or inputs let a trivial answer through.
Standard library only (evaluation goes through an evaluator).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

_PRELUDE = '''
import torch as _torch
import torch.nn as _nn


def _flat(x):
    if isinstance(x, _torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _flat(v)]
    return [x]


def _rebuild(x, it):
    if isinstance(x, _torch.Tensor):
        return next(it)
    if isinstance(x, (list, tuple)):
        return type(x)(_rebuild(v, it) for v in x)
    return x


class ModelNew(_nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self._ref = Model(*args, **kwargs)

    def forward(self, *xs):
        out = self._ref(*xs)
        made = [_answer(t, xs) if isinstance(t, _torch.Tensor) else t for t in _flat(out)]
        return _rebuild(out, iter(made))
'''

_ANSWERS = {
    "zeros": '''
def _answer(t, xs):
    return _torch.zeros_like(t)
''',
    "constant": '''
_FIXED = {}


def _answer(t, xs):
    # one constant per output, fixed at the first call (the mean of that call's true output): the best an
    # input-independent answer tuned on one sample can do
    if t.numel() == 0:
        return t.clone()
    key = (tuple(t.shape), t.dtype)
    if key not in _FIXED:
        m = t.double().mean()
        _FIXED[key] = m.item() if (t.is_floating_point() or t.is_complex()) else round(m.item())
    return _torch.full_like(t, _FIXED[key])
''',
    "input_copy": '''
def _answer(t, xs):
    src = next((x for x in xs if isinstance(x, _torch.Tensor) and x.numel()), None)
    if src is None or t.numel() == 0:
        return _torch.zeros_like(t)
    flat = src.reshape(-1)
    n = t.numel()
    if flat.numel() < n:
        flat = flat.repeat((n + flat.numel() - 1) // flat.numel())
    return flat[:n].to(t.dtype).reshape(t.shape).clone()
''',
}


def trivial_candidate(problem_source: str, kind: str) -> str:
    """Source of a `ModelNew` answering `kind` (zeros | constant | input_copy | reference) for a problem."""
    if kind == "reference":
        return problem_source.rstrip() + "\n\n\nclass ModelNew(Model):\n    pass\n"
    return problem_source.rstrip() + "\n\n" + _PRELUDE + _ANSWERS[kind]


@dataclass
class ProblemCheck:
    problem: str
    outcomes: dict[str, str] = field(default_factory=dict)     # candidate -> status (and flags)
    weak: list[str] = field(default_factory=list)               # what a trivial answer got past
    errors: list[str] = field(default_factory=list)             # evaluations that could not decide

    @property
    def ok(self) -> bool:
        return not self.weak and not self.errors

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


CHECKS = (("zeros", "off", "incorrect"), ("constant", "off", "incorrect"), ("input_copy", "off", "incorrect"),
          ("reference", "strict", "rejected"), ("reference", "off", "correct"))


def check_problem(evaluator, problem, **request_kw) -> ProblemCheck:
    """Evaluate the trivial candidates for one problem (timing off) and say what got through."""
    from trace_kernelbench.evaluation.request import EvalRequest
    pc = ProblemCheck(problem=problem.id)
    kw = dict(request_kw)
    kw["measure_timing"] = False
    for kind, policy, expected in CHECKS:
        label = kind if kind != "reference" else f"reference[{policy}]"
        req = EvalRequest.for_problem(problem, trivial_candidate(problem.source, kind), guard_policy=policy, **kw)
        r = evaluator.evaluate(req)
        status = r.status.value
        pc.outcomes[label] = status + (f" ({', '.join(r.flags)})" if r.flags else "")
        if status in ("infra_error", "no_device", "timeout") or (status in ("compile_error", "runtime_error")
                                                                  and kind != "reference"):
            pc.errors.append(f"{label}: {status}: {(r.error or '')[:200]}")
        elif status != expected:
            if kind == "reference" and policy == "off":
                pc.weak.append(f"the reference itself is {status} against itself (nondeterministic or "
                               f"tolerance too tight): {(r.error or '')[:160]}")
            elif kind == "reference":
                pc.weak.append(f"the reference itself as candidate was {status} under strict, not rejected")
            else:
                pc.weak.append(f"{kind} passed correctness")
    return pc


def selfcheck(evaluator, problems, progress=None, **request_kw) -> list[ProblemCheck]:
    out = []
    for p in problems:
        pc = check_problem(evaluator, p, **request_kw)
        out.append(pc)
        if progress is not None:
            progress(pc)
    return out
