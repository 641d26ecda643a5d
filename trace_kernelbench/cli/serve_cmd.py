"""`trace-kernelbench serve`: run the HTTP evaluation server (evaluators/server.py) in front of this machine's
local pipeline."""
from __future__ import annotations

from trace_kernelbench.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("serve", help="run the HTTP evaluation server on this (GPU) machine",
                       description="Serve evaluations over HTTP (API under /v1) with this machine's local pipeline. "
                                   "Without a token the server only binds to loopback; on any other address it "
                                   "needs --token or $TRACE_KB_SERVER_TOKEN. SIGINT/SIGTERM shut it down "
                                   "gracefully: running jobs get --grace seconds, the rest run again at next start.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--token", default=None, metavar="T", help="bearer token clients must send "
                                                              "(default: $TRACE_KB_SERVER_TOKEN)")
    p.add_argument("--job-timeout", type=float, default=1800.0, metavar="S",
                   help="cap on one job's own time, build plus run, queue not counted (default: 1800)")
    p.add_argument("--max-body", type=int, default=1 << 20, metavar="BYTES",
                   help="largest request body accepted (default: 1048576)")
    p.add_argument("--max-finished", type=int, default=1000, metavar="N",
                   help="finished jobs kept for GET /v1/jobs/ID, oldest dropped first (default: 1000)")
    p.add_argument("--grace", type=float, default=30.0, metavar="S",
                   help="on shutdown, how long running jobs may finish before they are re-queued (default: 30)")
    p.add_argument("--build-workers", type=int, default=None, metavar="N",
                   help="parallel builds (default: one per core)")
    p.add_argument("--state-dir", default=None, metavar="DIR",
                   help="where re-queued jobs wait across restarts (default: <cache>/server)")
    p.set_defaults(func=run)


def run(args) -> int:
    try:
        from trace_kernelbench.evaluators.server import serve
    except ImportError as e:
        raise UserError(f"the server needs fastapi and uvicorn (./install.sh installs them): {e}") from None
    if not 0 < args.port < 65536:
        raise UserError(f"bad port {args.port}")
    for name in ("job_timeout", "max_body", "max_finished", "grace"):
        if getattr(args, name) <= 0 and not (name == "grace" and args.grace == 0):
            raise UserError(f"--{name.replace('_', '-')} must be positive")
    if args.build_workers is not None and args.build_workers < 1:
        raise UserError("--build-workers must be at least 1")
    serve(args.host, args.port, args.token, job_timeout_s=args.job_timeout, max_body_bytes=args.max_body,
          max_finished=args.max_finished, grace_s=args.grace, build_workers=args.build_workers,
          state_dir=args.state_dir)
    return 0
