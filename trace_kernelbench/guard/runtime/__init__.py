"""Runtime checks the isolated worker runs around the candidate. GPU-side: torch and the standard library only.

The worker creates one `RuntimeGuard` per job, before any candidate code exists in the process, and calls it:

  snapshot()            trusted functions, flags, environment, threads, reference state (before loading the candidate)
  wrap_extension()      from BuildRecorder: counts calls into the candidate's compiled functions
  install_triton_hooks() counts launches of the candidate's @triton.jit kernels
  verify(phase)         after loading, after correctness, after timing: anything replaced is reported and restored
  poison()              before each candidate call: freed memory the candidate could pick up is filled with a
                        NaN pattern; outputs that still hold it were never written
  observe_call()        around each checked forward: proof the candidate's kernel ran
  check_outputs()       plain dense torch.Tensor, no input aliasing, no poison; inputs compared with their clones
  fresh_checks()        new inputs under a secret seed, candidate first, then the reference on clones (so nothing the
                        reference computed can be reused), output snapshot taken at return (late writes show up)
  timing_hooks()        fresh inputs for every timed call (random positions refreshed in place), a secret sample of
                        timed outputs checked against the reference
  recheck()             suspicious speedups re-measured with a host timer around a device synchronize, plus a
                        determinism re-run

Findings are plain dicts ({flag, detail, source}) the evaluator merges with the static ones and judges by policy.
"""
from trace_kernelbench.guard.runtime.guard import RuntimeGuard
from trace_kernelbench.guard.runtime.tensors import (POISON16, POISON32, POISON64, aliases, bitwise_equal, clone_tree,
                                                     has_poison, peak_bandwidth, tensor_bytes)

__all__ = ["RuntimeGuard", "POISON16", "POISON32", "POISON64", "aliases", "bitwise_equal", "clone_tree", "has_poison",
           "peak_bandwidth", "tensor_bytes"]
