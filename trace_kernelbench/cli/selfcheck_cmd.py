"""`trace-kernelbench selfcheck`: prove a problem suite catches trivial answers (zeros, a constant, a copy of the
input) and rejects the reference itself under the strict guard policy; report weak problems."""
from __future__ import annotations

import json
import sys

from trace_kernelbench.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("selfcheck", help="check that every problem catches zeros, constants, input copies and the "
                                         "reference itself",
                       description="For each problem, evaluate four trivial candidates: zeros, the mean of the true "
                                   "output, a copy of the input (all must fail correctness), and the reference "
                                   "itself (must be rejected under the strict guard policy, and be correct against "
                                   "itself). Problems that let a trivial answer through are reported as weak. "
                                   "Exit 0 when every problem is sound, 1 when some are weak, 3 on evaluator errors.")
    p.add_argument("--source", choices=("embedded", "kernelbench"), default="embedded",
                   help="problem suite (default: embedded)")
    p.add_argument("--kernelbench-dir", default=None, metavar="DIR",
                   help="KernelBench checkout (default: $TRACE_KB_KERNELBENCH_DIR or external/KernelBench)")
    p.add_argument("--level", type=int, default=None, metavar="N", help="only KernelBench level N")
    p.add_argument("--problem", action="append", default=[], metavar="ID",
                   help="check only this problem (repeatable), e.g. embedded/relu or kernelbench/L1/19")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="check at most N problems")
    p.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto", help="where to run (default: auto)")
    p.add_argument("--size", choices=("auto", "small", "full"), default="auto",
                   help="auto: the problem's small size when it declares one (default)")
    p.add_argument("--correct-trials", type=int, default=5, metavar="N", help="correctness trials (default: 5)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from trace_kernelbench.evaluators import make_evaluator
    from trace_kernelbench.guard.selfcheck import check_problem
    from trace_kernelbench.problems import list_problems, resolve_problem

    if args.problem:
        problems = [resolve_problem(p, kernelbench_dir=args.kernelbench_dir) for p in args.problem]
    else:
        problems = list_problems(args.source, level=args.level, kernelbench_dir=args.kernelbench_dir)
    if args.limit is not None:
        problems = problems[:max(0, args.limit)]
    if not problems:
        raise UserError("no problems to check")
    checks = []
    with make_evaluator("local") as ev:
        for p in problems:
            size = args.size if args.size != "auto" else ("small" if p.has_small_size else "full")
            if size == "small" and not p.has_small_size:
                raise UserError(f"{p.id} declares no small size (SMALL_SIZES); use --size full")
            pc = check_problem(ev, p, device=args.device, size=size, correct_trials=args.correct_trials)
            checks.append(pc)
            if not args.json:
                verdict = "ok" if pc.ok else ("WEAK" if pc.weak else "ERROR")
                print(f"{verdict:5s} {p.id}: " + "; ".join(f"{k} -> {v}" for k, v in pc.outcomes.items()))
                for w in pc.weak + pc.errors:
                    print(f"      {w}")
                sys.stdout.flush()
    weak = [c for c in checks if c.weak]
    errors = [c for c in checks if c.errors and not c.weak]
    if args.json:
        print(json.dumps({"problems": [c.to_dict() for c in checks], "weak": [c.problem for c in weak],
                          "errors": [c.problem for c in errors]}, indent=2))
    else:
        print(f"{len(checks)} problems: {len(checks) - len(weak) - len(errors)} sound, {len(weak)} weak, "
              f"{len(errors)} could not be checked")
    if errors:
        return 3
    return 1 if weak else 0
