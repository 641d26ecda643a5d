"""GPU facts for hardware-aware prompts: a small table of vendor datasheet numbers, rendered as a notes paragraph.

Numbers are for the variant named in `product` (memory size and bandwidth differ between SXM and PCIe parts).
Tensor-core rates are dense (NVIDIA datasheets usually print the 2:4-sparsity figure, which is twice as large).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from trace_kernelbench.errors import UserError


@dataclass(frozen=True)
class GPUSpec:
    name: str                 # short name used on the command line: H100
    product: str              # the exact variant the numbers describe
    architecture: str
    compute_capability: str   # "9.0"
    memory_gb: int
    memory_type: str
    bandwidth_tb_s: float     # DRAM bandwidth, TB/s
    l2_mb: float
    sm_count: int
    smem_per_sm_kb: int       # shared memory per SM (carved out of the unified L1/shared array)
    smem_per_block_kb: int    # most shared memory one thread block can opt into
    fp32_tflops: float        # CUDA cores, non-tensor
    tf32_tflops: float        # tensor cores, dense
    bf16_tflops: float        # tensor cores, dense

    @property
    def sm_arch(self) -> str:
        return "sm_" + self.compute_capability.replace(".", "")

    @property
    def flops_per_byte(self) -> float:
        """FP32 FLOPs the GPU can do in the time it moves one byte from DRAM (the roofline ridge point)."""
        return self.fp32_tflops / self.bandwidth_tb_s

    def to_dict(self) -> dict:
        return asdict(self)


_SPECS = [
    GPUSpec("A100", "A100 SXM4 80 GB", "Ampere", "8.0", 80, "HBM2e", 2.039, 40, 108, 164, 163, 19.5, 156, 312),
    GPUSpec("B200", "B200 (HGX B200, 1000 W)", "Blackwell", "10.0", 180, "HBM3e", 8.0, 126, 148, 228, 227,
            80, 1100, 2250),
    GPUSpec("H100", "H100 SXM5 80 GB", "Hopper", "9.0", 80, "HBM3", 3.35, 50, 132, 228, 227, 67, 495, 989),
    GPUSpec("H200", "H200 SXM 141 GB", "Hopper", "9.0", 141, "HBM3e", 4.8, 50, 132, 228, 227, 67, 495, 989),
    GPUSpec("L40S", "L40S 48 GB", "Ada Lovelace", "8.9", 48, "GDDR6 (ECC)", 0.864, 96, 142, 100, 99,
            91.6, 183, 362),
]
GPUS: dict[str, GPUSpec] = {s.name: s for s in _SPECS}


def known_gpus() -> list[str]:
    return sorted(GPUS)


def get_gpu(name: str) -> GPUSpec:
    """Look a GPU up by short name (case-insensitive) or by a device name such as torch reports
    ("NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB"). Unknown -> UserError listing the known ones."""
    key = (name or "").strip().upper()
    if key in GPUS:
        return GPUS[key]
    tokens = set(re.split(r"[\s_\-/]+", key))
    matches = [s for n, s in GPUS.items() if n in tokens]
    if len(matches) == 1:
        return matches[0]
    raise UserError(f"unknown GPU '{name}': known GPUs are {', '.join(known_gpus())}")


def _num(x: float) -> str:
    return f"{x:g}" if x < 1000 else f"{x:,.0f}"


def render_notes(name: str) -> str:
    """A short paragraph of facts about GPU `name` and what they imply for kernel design."""
    s = get_gpu(name)
    bw = f"{s.bandwidth_tb_s:g} TB/s" if s.bandwidth_tb_s >= 1 else f"{s.bandwidth_tb_s * 1000:g} GB/s"
    return (
        f"Your kernels will run on an NVIDIA {s.name} ({s.product}; {s.architecture} architecture, compute "
        f"capability {s.compute_capability}, {s.sm_arch}). It has {s.sm_count} SMs, up to {s.smem_per_sm_kb} KB of "
        f"shared memory per SM ({s.smem_per_block_kb} KB per thread block), a {_num(s.l2_mb)} MB L2 cache, and "
        f"{s.memory_gb} GB of {s.memory_type} memory with {bw} of bandwidth. Peak rates: {_num(s.fp32_tflops)} TFLOPS "
        f"FP32 on the CUDA cores; {_num(s.tf32_tflops)} TFLOPS TF32 and {_num(s.bf16_tflops)} TFLOPS BF16 on the "
        f"tensor cores (dense). In the time it reads one byte from memory it can do about {s.flops_per_byte:.0f} FP32 "
        f"operations, so elementwise, normalisation and reduction kernels are limited by memory traffic: fuse "
        f"operations, read each input once, and keep accesses coalesced (vectorised loads help). Keep enough thread "
        f"blocks in flight to fill all {s.sm_count} SMs."
    )
