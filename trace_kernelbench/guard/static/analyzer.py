"""The static analyser: state shared by its passes, the conclusions drawn from their facts, and the entry point."""
from __future__ import annotations

import ast

from trace_kernelbench.guard.rules import Finding
from trace_kernelbench.guard.static.bindings import BindingsMixin
from trace_kernelbench.guard.static.hazards import HazardsMixin
from trace_kernelbench.guard.static.model import Extension, StaticReport
from trace_kernelbench.guard.static.reachability import ReachabilityMixin
from trace_kernelbench.guard.torchops import PRECISION_RANK


class Analyzer(BindingsMixin, ReachabilityMixin, HazardsMixin):
    def __init__(self, source: str, precision: str = "fp32", reference_source: str | None = None):
        self.source = source
        self.tree = ast.parse(source, filename="candidate.py")
        self.precision = precision
        self.reference_source = reference_source
        self.findings: list[Finding] = []
        self.imports: dict[str, str] = {}          # local name -> dotted module path (or module.attr)
        self.module_env: dict[str, list[ast.AST]] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.parents: dict[int, ast.AST] = {}
        self.extensions: list[Extension] = []
        self.ext_by_call: dict[int, int] = {}
        self.triton_kernels: dict[str, ast.FunctionDef] = {}
        self.triton_nodes: set[int] = set()
        # reachability results
        self.reached_funcs: list[str] = []
        self._visited: set[int] = set()
        self.kernels_reached: set[str] = set()      # "triton:name" | "ext:<i>:<fn>"
        self.torch_ops: dict[str, int] = {}          # op -> first line
        self.operators: dict[str, int] = {}
        self.reached_ext_fns: set[tuple[int, str]] = set()
        self.stream_use: int | None = None
        self.sync_seen = False
        self.unresolved: set[str] = set()
        self.reference_hits: list[tuple[str, int]] = []

    # -- helpers
    def add(self, flag: str, detail: str, node: ast.AST | None = None, source: str = "static") -> None:
        line = getattr(node, "lineno", None)
        if not any(f.flag == flag and f.detail == detail for f in self.findings):
            self.findings.append(Finding(flag, detail, source, line))

    def resolve_import(self, dotted: str | None) -> str | None:
        """Map a dotted expression text to its fully qualified import path (torch.nn.functional.softmax), if its root
        is an imported name."""
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            base = self.imports[head]
            return f"{base}.{rest}" if rest else base
        return None


    # -- verdict-relevant findings from the facts
    def conclude(self) -> None:
        any_kernel_defined = bool(self.triton_kernels) or bool(self.extensions)
        triton_reached = sorted(k.split(":", 1)[1] for k in self.kernels_reached if k.startswith("triton:"))
        own_ext, lib_ext = [], []
        for (idx, fname) in sorted(self.reached_ext_fns):
            ext = self.extensions[idx]
            if ext.from_files:
                own_ext.append(f"{ext.name}.{fname}")      # sources not visible: cannot judge, runtime decides
                continue
            nat = ext.native
            if fname not in nat.own_kernel or nat.own_kernel[fname]:
                own_ext.append(f"{ext.name}.{fname}")   # an unknown export fails at run time, not here
            if nat.library.get(fname):
                lib_ext.append((f"{ext.name}.{fname}", nat.library[fname]))
        own = triton_reached + own_ext
        for detail, line in self.reference_hits[:1]:
            self.add("reference_model_use", detail, ast.Constant(value=None, lineno=line) if line else None)
        if not any_kernel_defined:
            self.add("no_custom_kernel", "the file defines no load_inline/load extension and no @triton.jit kernel; "
                     + (f"forward computes with {', '.join(list(self.torch_ops)[:4])}" if self.torch_ops else
                        "forward launches nothing of its own"))
        elif not self.kernels_reached:
            defined = [f"@triton.jit {k}" for k in self.triton_kernels] + \
                      [f"{e.name}.{f}" for e in self.extensions for f in (e.native.exported or {})] + \
                      ([f"extension {e.name}" for e in self.extensions if not e.native.exported])
            self.add("decoy_kernel", f"{', '.join(defined[:4])} defined but not reachable from ModelNew.forward"
                     + (f", which computes with {', '.join(list(self.torch_ops)[:4])}" if self.torch_ops else ""))
        elif not own:
            if lib_ext:
                name, libs = lib_ext[0]
                self.add("extension_calls_library", f"{name} only calls {', '.join(libs[:4])}", None, "native")
            else:
                self.add("no_custom_kernel", "the extension functions forward calls contain no kernel launch and no "
                         "loop of their own", None, "native")
        unknown_ext_fns = [(idx, f) for (idx, f) in self.reached_ext_fns
                           if self.extensions[idx].native.exported and f not in self.extensions[idx].native.exported
                           and self.extensions[idx].functions is not None]
        for idx, f in unknown_ext_fns[:1]:
            self.unresolved.add(f"{self.extensions[idx].name}.{f}")
        # strict: library compute in forward or in the extension functions it calls
        for op, line in self.torch_ops.items():
            self.add("torch_compute_op", f"forward calls {op}", ast.Constant(value=None, lineno=line) if line else None)
        for name, libs in lib_ext:
            self.add("torch_compute_op", f"{name} calls {', '.join(libs[:4])}", None, "native")
        # native hazards of extensions forward calls (and of any extension: they run code at load too)
        fp_rank = PRECISION_RANK.get(self.precision, 3)
        for e in self.extensions:
            for flag, detail in e.native.hazards:
                self.add(flag, f"extension {e.name}: {detail}", None, "native")
            if fp_rank >= 3 and e.native.low_precision:
                self.add("precision_downgrade", f"extension {e.name} uses {', '.join(e.native.low_precision[:3])} on an "
                         f"fp32 problem", None, "native")
            if e.native.streams_created and not e.native.streams_synchronised:
                self.add("unsynchronised_stream", f"extension {e.name} creates CUDA streams and never synchronises or "
                         "waits on them", None, "native")
        if self.stream_use and not self.sync_seen:
            self.add("unsynchronised_stream", "forward uses a CUDA stream of its own and never waits on it "
                     "(wait_stream / synchronize / event wait)", ast.Constant(value=None, lineno=self.stream_use))

    def run(self) -> StaticReport:
        self.collect()
        self.reach()
        self.hazards()
        self.conclude()
        triton_reached = sorted(k.split(":", 1)[1] for k in self.kernels_reached if k.startswith("triton:"))
        facts = {
            "entry_points": self.reached_funcs[:1],
            "reachable_functions": self.reached_funcs,
            "triton_kernels_defined": sorted(self.triton_kernels),
            "extensions": [{"name": e.name, "functions": sorted(e.native.exported), "cuda_kernels": e.native.kernels,
                            "own_kernel": e.native.own_kernel, "library_calls": e.native.library,
                            "from_files": e.from_files} for e in self.extensions],
            "kernels_reached": sorted(self.kernels_reached),
            "kernels_unreached": sorted(
                [f"triton:{k}" for k in self.triton_kernels if k not in triton_reached] +
                [f"ext:{e.name}.{f}" for e in self.extensions for f in e.native.exported
                 if (e.index, f) not in self.reached_ext_fns]),
            "torch_ops": sorted(self.torch_ops),
            "tensor_operators": sorted(self.operators),
            "streams": bool(self.stream_use) or any(e.native.streams_created for e in self.extensions),
            "unresolved_calls": sorted(self.unresolved)[:20],
        }
        runtime = {
            "triton_kernels": sorted(set(self.triton_kernels)),
            "triton_kernels_reached": triton_reached,
            "cuda_kernels": sorted({k for e in self.extensions for k in e.native.kernels}),
            "ext_functions": {e.name: {f: bool(e.native.own_kernel.get(f)) or e.from_files
                                       for f in e.native.exported} for e in self.extensions},
            "ext_from_files": [e.name for e in self.extensions if e.from_files],
        }
        return StaticReport(backend="", findings=self.findings, facts=facts, runtime=runtime)


def analyze_source(source: str, precision: str = "fp32", reference_source: str | None = None,
                   backend: str | None = None) -> StaticReport:
    """Facts and findings for one candidate. Never raises for a candidate that parses; a SyntaxError propagates."""
    an = Analyzer(source, precision, reference_source)
    try:
        rep = an.run()
    except RecursionError:
        rep = StaticReport(backend="", findings=[Finding("dynamic_code", "the source is too deeply nested to analyse")])
    if backend is None:
        from trace_kernelbench.evaluation.precheck import detect_backend
        backend = detect_backend(an.tree)
    rep.backend = backend
    return rep
