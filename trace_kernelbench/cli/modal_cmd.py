"""`trace-kernelbench modal deploy`: deploy the Modal app (evaluators/modal_app.py) with a worker class per GPU type."""
from __future__ import annotations

from trace_kernelbench.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("modal", help="deploy the Modal evaluation app",
                       description="Manage the Modal app that evaluates kernels on Modal GPUs "
                                   "(needs `modal token new` or MODAL_TOKEN_ID/MODAL_TOKEN_SECRET).")
    msub = p.add_subparsers(dest="modal_command", metavar="ACTION", parser_class=type(p))
    d = msub.add_parser("deploy", help="deploy (or update) the app",
                        description="Build the image (CUDA devel, torch, this package from local source) and deploy "
                                    "one worker class per --gpu. `eval --evaluator modal --gpu NAME` then uses it.")
    d.add_argument("--gpu", action="append", default=[], metavar="NAME",
                   help="GPU type to deploy a worker for; repeatable (default: H100)")
    d.add_argument("--name", default=None, metavar="APP", help="app name (default: trace-kernelbench)")
    d.add_argument("--max-containers", type=int, default=None, metavar="N",
                   help="most containers per GPU type at once (default: 8)")
    d.set_defaults(func=run_deploy)
    p.set_defaults(func=lambda args: p.print_help() or 2)


def run_deploy(args) -> int:
    try:
        import modal
    except ImportError:
        raise UserError("deploying needs modal>=1.6,<1.7 (./install.sh installs it)") from None
    from trace_kernelbench.evaluators.modal_app import ModalConfig, build_app, class_name

    options = {k: v for k, v in (("app_name", args.name), ("max_containers", args.max_containers)) if v is not None}
    if options.get("max_containers", 1) < 1:
        raise UserError("--max-containers must be at least 1")
    config = ModalConfig(**options).with_gpus(args.gpu or ["H100"])
    app, _ = build_app(config)
    try:
        with modal.enable_output():
            app.deploy(name=config.app_name)
    except modal.exception.AuthError:
        raise UserError("Modal is not configured: run `modal token new` (or set MODAL_TOKEN_ID and "
                        "MODAL_TOKEN_SECRET)") from None
    print(f"deployed Modal app '{config.app_name}': " + ", ".join(f"{class_name(g)} ({g})" for g in config.gpus))
    return 0
