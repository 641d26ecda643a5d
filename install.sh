#!/usr/bin/env bash
# Installs trace-kernelbench into ./.venv (idempotent).
#   ./install.sh            runtime with every extra (env, agents, server, modal, hf, report)
#   ./install.sh --dev      the same plus the test tools
#   --no-kernelbench        do not try to clone upstream KernelBench into external/KernelBench
set -euo pipefail
cd "$(dirname "$0")"

dev=0; clone_kb=1
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --no-kernelbench) clone_kb=0 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for cand in python3.12 python3.11 python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(not ((3,10) <= sys.version_info[:2] <= (3,12)))' 2>/dev/null; then
      PYTHON=$cand; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "install.sh: needs Python 3.10-3.12 on PATH (or set PYTHON=...)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip setuptools wheel
extras="all"
[ "$dev" = 1 ] && extras="all,dev"
# torch comes from the normal package index; a CUDA build lets nvcc-built extensions compile even without a GPU.
.venv/bin/python -m pip install -q -e ".[${extras}]"

if [ "$clone_kb" = 1 ] && [ ! -d external/KernelBench/.git ] && [ ! -d external/KernelBench/KernelBench ]; then
  if out=$(timeout 120 git clone -q --depth 1 https://github.com/ScalingIntelligence/KernelBench external/KernelBench 2>&1); then
    echo "KernelBench cloned into external/KernelBench"
  else
    rm -rf external/KernelBench
    reason=$(printf '%s' "$out" | tail -n 1)
    echo "KernelBench not cloned: ${reason:-git clone failed}; the embedded suite works; see README"
  fi
fi
echo "trace-kernelbench installed in .venv (activate with: source .venv/bin/activate)"
