#!/usr/bin/env bash
# Prepare, on this (networked) machine, what a device run of scripts/gpu_validate.sh needs beyond the repo:
#   .whl/     wheels for Python 3.12 that the CUDA image lacks (gymnasium for the env, trace-opt and its import
#             closure for the Trace agents), pinned to the versions in this repo's .venv
#   .device/  the published Trace-Bench results (for the audit step), copied from ../shared/data when present
# Both folders are git-ignored; name them in the device call's `carry`, together with external/KernelBench/KernelBench
# and external/KernelBench/src when a KernelBench checkout is there (audit step).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
PKGS="trace-opt black pytokens graphviz litellm openai pydantic pydantic-core annotated-types typing-inspection
python-dotenv fastuuid lazy-importer importlib-metadata zipp h2 hpack hyperframe httpx2 httpcore2 jiter sniffio
gymnasium farama-notifications pathspec mypy-extensions platformdirs"
specs=()
for p in $PKGS; do
  v=$(.venv/bin/pip show "$p" 2>/dev/null | awk '/^Version:/{print $2}')
  [ -n "$v" ] && specs+=("$p==$v")
done
rm -rf .whl && mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_34_x86_64 --platform manylinux_2_31_x86_64 --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  --platform manylinux1_x86_64 -d .whl "${specs[@]}"
if [ -d ../shared/data/tracebench-fork-results ]; then
  rm -rf .device/tracebench-results && mkdir -p .device
  cp -r ../shared/data/tracebench-fork-results .device/tracebench-results && chmod -R u+w .device
fi
echo "wheels: $(ls .whl | wc -l) in .whl ($(du -sh .whl | cut -f1)); carry: .whl .device" \
     "$( [ -d external/KernelBench/KernelBench ] && echo external/KernelBench/KernelBench external/KernelBench/src)"
