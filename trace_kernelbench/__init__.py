"""trace-kernelbench: LLM-written GPU kernels, evaluated honestly."""
