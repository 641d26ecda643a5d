#!/usr/bin/env bash
# GPU validation in one go, for a CUDA machine (the lent H200, or any CUDA box with torch + numpy):
#   bash scripts/gpu_validate.sh [STEP ...]     steps: env tests solutions bench guard overhead quickstart audit repro
#                                                (default: all but repro)
#   bash scripts/gpu_validate.sh env solutions,quickstart tests,guard
#       an argument with commas is a lane: lanes run side by side, lane i pinned to GPU i and to its share of the
#       cores (a 2-GPU machine does two lanes at once); plain steps run one after the other, with every GPU.
# STEP_TIMEOUT (seconds, default 540) caps each step, so one slow step cannot cost the files of the others;
# REPRO_REPEATS (default 6): fresh evaluations per problem in the repro step (guard on, then off unless
# REPRO_GUARD_OFF=0); OVERHEAD_ROUNDS (default 5): rounds of the overhead step;
# a lane of one step is written with a trailing comma (env repro, guard,).
# PYTEST_K, when set, is passed to pytest's -k in the tests and guard steps (to re-run a subset);
# BUNDLE=1 packs everything into $OUT/gpu-out.tgz (a device call brings back only a few files).
# Prepare first, on the networked machine: scripts/gpu_prepare.sh (wheels into .whl/, published results into .device/).
# Installs what the image lacks from carried wheels in .whl/ (if any), writes logs and JSON under $OUT
# (default ./gpu-out), and prints a short summary last. Turn the JSON into RESULTS.md with
#   python scripts/update_results.py OUT_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
steps=${*:-env tests solutions bench guard overhead quickstart audit}
KNOWN=" env tests solutions bench guard overhead quickstart audit repro "
for s in ${steps//,/ }; do
  [[ $KNOWN == *" $s "* ]] || { echo "gpu_validate.sh: unknown step '$s' (steps:$KNOWN)" >&2; exit 2; }
done

if [ -z "${GPU_VALIDATE_LANE:-}" ] && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
[[ ":${PYTHONPATH:-}:" == *":$PWD:"* ]] || export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1 LITELLM_LOCAL_MODEL_COST_MAP=True
export TRACE_KB_CACHE_DIR=${TRACE_KB_CACHE_DIR:-/tmp/tkb-gpu-cache}
export TRACE_KB_TEST_CACHE=$TRACE_KB_CACHE_DIR
STEP_TIMEOUT=${STEP_TIMEOUT:-540}
summary=()
step() { local name=$1; shift; local t0=$SECONDS; timeout -k 10 "$STEP_TIMEOUT" "$@"; local rc=$?
         summary+=("$name: rc=$rc $((SECONDS - t0))s"); }

run_steps() {
for s in "$@"; do
  case $s in
    env) step env bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > '$OUT/env.txt';
          python3 -c 'import torch,sys; print(sys.version.split()[0], torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))' >> '$OUT/env.txt';
          nvcc --version | tail -1 >> '$OUT/env.txt'; nproc >> '$OUT/env.txt'; date -u +%FT%TZ >> '$OUT/env.txt'; cat '$OUT/env.txt'" ;;
    tests) step tests bash -c "python3 -m pytest tests/test_gpu.py -q -p no:cacheprovider \${PYTEST_K:+-k \"\$PYTEST_K\"} 2>&1 | tee '$OUT/gpu_tests.log' | tail -15; exit \${PIPESTATUS[0]}" ;;
    solutions) step solutions python3 scripts/solution_results.py --out "$OUT/solutions.json" ;;
    bench) step bench bash -c "python3 -m trace_kernelbench.cli.main bench --json > '$OUT/bench.json' 2> '$OUT/bench.err'; rc=\$?; tail -25 '$OUT/bench.err'; exit \$rc" ;;
    guard) step guard bash -c "python3 -m pytest tests/test_guard.py -m gpu -q -p no:cacheprovider \${PYTEST_K:+-k \"\$PYTEST_K\"} 2>&1 | tee '$OUT/guard.log' | tail -15; exit \${PIPESTATUS[0]}" ;;
    overhead) step overhead bash -c "python3 -m trace_kernelbench.guard.overhead --device cuda --size full --backend cuda relu softmax matmul_square --rounds ${OVERHEAD_ROUNDS:-5} > '$OUT/overhead.json' 2> '$OUT/overhead.err'; rc=\$?; tail -5 '$OUT/overhead.err'; exit \$rc" ;;
    repro) step repro bash -c "R='python3 -m trace_kernelbench.evaluation.reproducibility --device cuda --size full relu softmax matmul_square --repeats ${REPRO_REPEATS:-6}';
          \$R > '$OUT/repro.json' 2> '$OUT/repro.err' && if [ '${REPRO_GUARD_OFF:-1}' = 1 ]; then
          \$R --guard off > '$OUT/repro_noguard.json' 2>> '$OUT/repro.err'; fi; rc=\$?; tail -5 '$OUT/repro.err'; exit \$rc" ;;
    quickstart) step quickstart bash -c "python3 -m trace_kernelbench.cli.main run configs/quickstart.yaml --set output_dir=/tmp/tkb-quickstart 2>&1 | tee '$OUT/quickstart.log' | tail -25; cp /tmp/tkb-quickstart/summary.json '$OUT/quickstart_summary.json'" ;;
    audit) step audit bash -c "python3 scripts/audit_tracebench.py .device/tracebench-results --kernelbench-dir external/KernelBench --device cuda --out '$OUT/audit.json' 2>&1 | tee '$OUT/audit.log' | tail -30" ;;
  esac
done
}

plain=() lanes=()
for a in $steps; do if [[ $a == *,* ]]; then lanes+=("$a"); else plain+=("$a"); fi; done
run_steps "${plain[@]}"
if ((${#lanes[@]})); then
  ncpu=$(nproc); per=$((ncpu / ${#lanes[@]}))
  for i in "${!lanes[@]}"; do
    # each lane its own cache: the repro step clears reference baselines, which another lane's measurements use
    ( export CUDA_VISIBLE_DEVICES=$i GPU_VALIDATE_LANE=$i TRACE_KB_CACHE_DIR=$TRACE_KB_CACHE_DIR/lane$i
      export TRACE_KB_TEST_CACHE=$TRACE_KB_CACHE_DIR; unset BUNDLE
      taskset -c "$((i * per))-$(((i + 1) * per - 1))" true 2>/dev/null && pin=(taskset -c "$((i * per))-$(((i + 1) * per - 1))") || pin=()
      IFS=, read -ra ls <<< "${lanes[$i]}"
      "${pin[@]}" bash "$0" "${ls[@]}" > "$OUT/lane$i.log" 2>&1
    ) &
  done
  wait
  for i in "${!lanes[@]}"; do summary+=("lane $i (${lanes[$i]}): $(grep -E '^[a-z]+: rc=' "$OUT/lane$i.log" | tr '\n' ' ')"); done
fi
if [ -n "${GPU_VALIDATE_LANE:-}" ]; then printf '%s\n' "${summary[@]}"   # a lane: its parent writes summary.txt
else printf '%s\n' "${summary[@]}" | tee "$OUT/summary.txt"; fi
if [ "${BUNDLE:-0}" = 1 ]; then
  tar czf /tmp/gpu-out.tgz -C "$OUT" . && rm -rf "${OUT:?}"/* && mv /tmp/gpu-out.tgz "$OUT/gpu-out.tgz"
fi
