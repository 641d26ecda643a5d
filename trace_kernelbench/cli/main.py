"""Entry point of the `trace-kernelbench` console script: builds the parser from the command modules and maps
errors to exit codes (2: bad input, one line on stderr; 3: infrastructure error)."""
from __future__ import annotations

import argparse
import importlib
import sys

from trace_kernelbench.errors import UserError

# Each module defines `register(subparsers)`; its sub-parser sets `func(args) -> int`.
COMMAND_MODULES = [
    "trace_kernelbench.cli.problems_cmd",
    "trace_kernelbench.cli.eval_cmd",
    "trace_kernelbench.cli.run_cmd",
    "trace_kernelbench.cli.report_cmd",
    "trace_kernelbench.cli.audit_cmd",
    "trace_kernelbench.cli.serve_cmd",
    "trace_kernelbench.cli.modal_cmd",
    "trace_kernelbench.cli.bench_cmd",
    "trace_kernelbench.cli.selfcheck_cmd",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's own convention), no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trace-kernelbench",
                     description="LLM-written GPU kernels for PyTorch reference programs: problems, prompts, "
                                 "isolated evaluation, environments, agents and reports.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as e:
        message = " ".join(str(e).split())   # always one line, whatever the message held
        print(f"trace-kernelbench: error: {message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("trace-kernelbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
