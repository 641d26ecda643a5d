"""Evaluators: one interface (`Evaluator`), several backends chosen by name or spec string.

`make_evaluator("local")`, `make_evaluator("server", urls=[...], token=...)`, `make_evaluator("modal", gpu="H100")`.
Backends are imported lazily so `local` needs no server or Modal packages.
"""
from trace_kernelbench.evaluators.base import Evaluator, make_evaluator, register_evaluator

__all__ = ["Evaluator", "make_evaluator", "register_evaluator"]
