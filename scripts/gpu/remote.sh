#!/usr/bin/env bash
# Runs ON the lent GPU machine, from the repository root, over the bundle scripts/gpu-check made:
#
#   run(command="bash scripts/gpu/remote.sh", carry=["gpu-bundle"], timeout_s=600)
#
# Steps, each under its own time limit, each going on when an earlier one fails: the machine and versions; the
# GPU unit tests (kiln_cuda_tests); kiln-conformance over the bundled ONNX subset with configs/cuda.yaml; the
# side-by-side benchmark (benchmarks/gpu/compare.py: ResNet-50 and GoogLeNet, batch 1 and 256, kiln with
# configs/cuda-fp16.yaml against PyTorch FP16 channels-last, eager and CUDA graph).
# Files under $OUT come back: remote.log (everything printed), env.txt, tests.txt, conformance.txt,
# compare.log, performance.md, results.json, int8.md (step int8: benchmarks/gpu/int8_compare.py), template.txt
# (step template: the plugin template's CUDA kernel test), plugin-check.txt (step plugin-check: `kiln plugin
# check` over the CUDA pack), imma.txt (step imma: kiln's INT8 kernel alone and under Nsight Compute), stem.txt
# (step stem: cuDNN's FP16 first layer with 3, 4 and 8 channels), probe.txt (step probe: cuDNN's INT8 paths).
#
# Environment: KILN_GPU_BUDGET_S (whole run, default 470 s), KILN_GPU_INT8_S (the int8 step, default 300 s),
# KILN_GPU_STEPS (default tests,conformance,bench),
# KILN_GPU_CHECK_CASES (cases per kernel in step plugin-check, default 32),
# KILN_GPU_MODELS (default resnet50,googlenet), KILN_GPU_BATCHES (default 1,256), KILN_GPU_TEST_FILTER (an extended
# regular expression: only the GPU tests whose names match), KILN_GPU_BN_MATCHED=1 (steps bench and int8 export
# the models with BatchNormalization statistics matched to their inputs, into a folder of their own, so that the
# int8 step's accuracy columns measure the quantization rather than torchvision's random initialisation).
set -u -o pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd -P)
OUT=${OUT:-/tmp/kiln-gpu-out}
mkdir -p "$OUT"
BUNDLE=$ROOT/gpu-bundle
BUDGET=${KILN_GPU_BUDGET_S:-470}
STEPS=${KILN_GPU_STEPS:-tests,conformance,bench,check,plan,profile,streams}
MODEL_DIR=/tmp/kiln-gpu-models
EXPORT_FLAGS=()
if [[ ${KILN_GPU_BN_MATCHED:-0} == 1 ]]; then MODEL_DIR=/tmp/kiln-gpu-models-bn-matched; EXPORT_FLAGS=(--bn-matched); fi
export PYTHONUNBUFFERED=1

# The seconds a step may take: what it asks for, or what is left of the budget when that is less.
limit() {
  local want=$1 left=$((BUDGET - SECONDS))
  ((left < want)) && want=$left
  ((want < 1)) && want=1
  echo "$want"
}
want_step() { [[ ",$STEPS," == *",$1,"* ]]; }
# kiln's own libraries go only to kiln's processes: python (torch) keeps the machine's environment.
kiln_env() { env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$@"; }
summary=()
note() { summary+=("$1"); echo ">> $1"; }

main() {
  echo "== kiln on the GPU machine: $(date -u +%Y-%m-%dT%H:%M:%SZ), budget ${BUDGET}s, steps $STEPS =="
  if [[ ! -d $BUNDLE ]]; then
    echo "no gpu-bundle/ here: run scripts/gpu-check on the build machine and carry [\"gpu-bundle\"]"
    return 1
  fi
  [[ -f $BUNDLE/BUILD_INFO ]] && source "$BUNDLE/BUILD_INFO"
  echo "bundle: commit ${KILN_BUILD_COMMIT:-?} (${KILN_BUILD_DIRTY:-?} files changed), built ${KILN_BUILD_DATE:-?}, ${KILN_BUILD_TYPE:-?}, CUDA ${KILN_BUILD_CUDA:-?}"

  # -- where the libraries come from ------------------------------------------------------------------------
  KILN_LD_LIBRARY_PATH=$BUNDLE/lib
  # cuBLASLt and cuDNN should be in the system paths; where ldconfig does not know them, add the toolkit's
  # folders and, last, the ones PyTorch's wheels bring.
  local lib extra=()
  for lib in libcudart.so.13 libcublasLt.so.13 libcudnn.so.9; do
    ldconfig -p 2>/dev/null | grep -q "$lib" && continue
    echo "note: $lib is not in ldconfig's cache; searching"
    local d
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu \
             $(python3 -c 'import nvidia, os; p = list(nvidia.__path__)[0]; print(" ".join(os.path.join(p, s, "lib") for s in os.listdir(p)))' 2>/dev/null); do
      [[ -e $d/$lib ]] && { extra+=("$d"); echo "  found in $d"; break; }
    done
  done
  ((${#extra[@]})) && KILN_LD_LIBRARY_PATH+=":$(printf '%s\n' "${extra[@]}" | awk '!seen[$0]++' | paste -sd: -)"
  KILN_LD_LIBRARY_PATH+="${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export KILN_LD_LIBRARY_PATH

  # The test binaries carry the build machine's absolute paths (KILN_SOURCE_DIR, KILN_PLUGIN_DIR, ...): point
  # them here. The bundle mirrors the build tree (bin/, lib/kiln/plugins/, test_plugins/).
  if [[ -n ${KILN_BUILD_BINARY_DIR:-} && ! -e $KILN_BUILD_BINARY_DIR ]]; then
    if [[ -n ${KILN_BUILD_SOURCE_DIR:-} && ! -e $KILN_BUILD_SOURCE_DIR ]]; then
      mkdir -p "$(dirname "$KILN_BUILD_SOURCE_DIR")" && ln -s "$ROOT" "$KILN_BUILD_SOURCE_DIR" \
        && echo "linked $KILN_BUILD_SOURCE_DIR -> $ROOT (the source dir the tests were built with)"
    fi
    if [[ ! -e $KILN_BUILD_BINARY_DIR ]]; then
      mkdir -p "$(dirname "$KILN_BUILD_BINARY_DIR")" && ln -sfn "$BUNDLE" "$KILN_BUILD_BINARY_DIR" \
        && echo "linked $KILN_BUILD_BINARY_DIR -> $BUNDLE (the build dir the tests were built with)"
    fi
  fi

  # -- the machine ------------------------------------------------------------------------------------------
  {
    echo "== nvidia-smi -L"; timeout 20 nvidia-smi -L
    echo "== nvidia-smi"; timeout 20 nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv
    echo "== uname"; uname -a
    echo "== os"; grep PRETTY_NAME /etc/os-release
    echo "== nvcc"; timeout 10 nvcc --version 2>/dev/null | tail -n 2 || echo "(no nvcc on PATH)"
    echo "== python"; timeout 60 python3 -c 'import sys, torch, torchvision, onnx; print(sys.version.split()[0], "torch", torch.__version__, "torchvision", torchvision.__version__, "onnx", onnx.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
    echo "== cuDNN / cuBLASLt in ldconfig"; ldconfig -p 2>/dev/null | grep -E "libcudnn\.so|libcublasLt\.so|libcudart\.so|libprotobuf\.so" | head
    echo "== bundle"; du -sh "$BUNDLE"/{bin,lib,onnx-tests} 2>/dev/null; cat "$BUNDLE/LIBS.txt" 2>/dev/null
    echo "== ldd -r (unresolved libraries or symbols, if any)"
    local f
    for f in "$BUNDLE"/bin/* "$BUNDLE"/lib/kiln/plugins/*.so; do
      kiln_env ldd -r "$f" 2>&1 | grep -iE "not found|undefined symbol" | sed "s|^|$(basename "$f"): |"
    done
    echo "(end of ldd check)"
    echo "== kiln plugins"; timeout 60 env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln" plugins --config configs/cuda.yaml 2>&1 | grep -v "^    " | head -n 20
  } 2>&1 | tee /tmp/kiln-env.txt

  # -- GPU unit tests ---------------------------------------------------------------------------------------
  if want_step tests; then
    echo; echo "== kiln_cuda_tests =="
    if [[ -x $BUNDLE/bin/kiln_cuda_tests ]]; then
      # One process per test, 12 at a time: a kernel that faults poisons its CUDA context, and in one process
      # every later test would fail with it.
      local t rc
      t=$(limit 150)
      env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln_cuda_tests" --gtest_list_tests |
        awk '/^[^ ]/ {suite=$1} /^  / {print suite $1}' | grep -E "${KILN_GPU_TEST_FILTER:-.}" >/tmp/kiln-test-list.txt
      timeout -k 5 "$t" xargs -P 12 -I{} sh -c \
        'out=$(env LD_LIBRARY_PATH="$0" "$1" --gtest_filter="{}" 2>&1); rc=$?;
         if [ $rc -eq 0 ]; then echo "$out" | grep -q "\[  SKIPPED \]" && echo "SKIP {}" || echo "PASS {}";
         else echo "FAIL {}"; echo "$out" | grep -E "Failure|Expected|Which is|error|worst|chosen" | head -n 12 | sed "s/^/    /"; fi' \
        "$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln_cuda_tests" </tmp/kiln-test-list.txt >"$OUT/tests.txt" 2>&1
      rc=$?
      grep -A12 "^FAIL " "$OUT/tests.txt" | head -n 60
      local counts; counts="pass $(grep -c '^PASS ' "$OUT/tests.txt"), fail $(grep -c '^FAIL ' "$OUT/tests.txt"), skip $(grep -c '^SKIP ' "$OUT/tests.txt") of $(wc -l </tmp/kiln-test-list.txt)"
      if ((rc == 124 || rc == 137)); then note "tests: TIMED OUT after ${t}s ($counts)"
      elif ! grep -q '^PASS ' "$OUT/tests.txt"; then note "tests: NONE PASSED: no GPU seen? ($counts)"
      elif ! grep -q '^FAIL ' "$OUT/tests.txt"; then note "tests: ok ($counts)"
      else note "tests: FAILED ($counts)"; fi
    else
      echo "kiln_cuda_tests is not in the bundle (not built)" | tee "$OUT/tests.txt"
      note "tests: kiln_cuda_tests missing from the bundle"
    fi
  fi

  # -- ONNX conformance on the bundled subset ---------------------------------------------------------------
  if want_step conformance; then
    echo; echo "== kiln-conformance --config configs/cuda.yaml (bundled subset) =="
    if [[ ! -x $BUNDLE/bin/kiln-conformance ]]; then
      note "conformance: kiln-conformance missing from the bundle"
    elif [[ ! -d $BUNDLE/onnx-tests ]]; then
      note "conformance: no ONNX subset in the bundle"
    elif [[ ! -f configs/cuda.yaml ]]; then
      note "conformance: configs/cuda.yaml does not exist"
    else
      # Each test runs in its own forked process (its own CUDA context); --verbose prints every outcome as it
      # comes, so a run cut short still says how far it got.
      local t rc
      t=$(limit 90)
      timeout -k 5 "$t" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln-conformance" \
        --config configs/cuda.yaml --jobs 12 --timeout 30 --verbose "$BUNDLE/onnx-tests" >"$OUT/conformance.txt" 2>&1
      rc=$?
      grep -E "^(WRONG|ERROR|CRASH|TIMEOUT) " "$OUT/conformance.txt" | head -n 25
      grep -E "^most common unsupported" "$OUT/conformance.txt"
      local line; line=$(grep -E "^[0-9]+ tests: " "$OUT/conformance.txt" | tail -n 1)
      if ((rc == 124 || rc == 137)); then
        note "conformance: TIMED OUT after ${t}s; so far: $(awk '$1 ~ /^(PASS|WRONG|UNSUPPORTED|ERROR|CRASH|TIMEOUT)$/ {n[$1]++} END {for (k in n) printf "%s %d ", k, n[k]}' "$OUT/conformance.txt")"
      elif [[ -n $line ]]; then note "conformance: $line (exit $rc)"
      else note "conformance: FAILED, exit $rc: $(tail -n 1 "$OUT/conformance.txt")"; fi
    fi
  fi

  # -- side by side: kiln against PyTorch -------------------------------------------------------------------
  if want_step bench; then
    echo; echo "== benchmark: kiln (configs/cuda-fp16.yaml) against PyTorch FP16 =="
    local t rc
    t=$(limit 330)
    timeout -k 10 "$t" python3 benchmarks/gpu/compare.py --kiln "$BUNDLE/bin/kiln" --config configs/cuda-fp16.yaml \
      --lib-path "$KILN_LD_LIBRARY_PATH" --models "${KILN_GPU_MODELS:-resnet50,googlenet}" \
      --batches "${KILN_GPU_BATCHES:-1,256}" --model-dir "$MODEL_DIR" ${EXPORT_FLAGS[@]+"${EXPORT_FLAGS[@]}"} --out "$OUT" \
      --budget-s "$((t - 10))" 2>&1 | tee /tmp/kiln-compare.log
    rc=${PIPESTATUS[0]}
    # The timing cache the fp16 config names (autotuning results), to carry into a later call if wanted.
    : # the timing cache stays on the machine (at most 8 files come back)
    if ((rc == 124 || rc == 137)); then note "bench: TIMED OUT after ${t}s (partial results in compare.log)"
    elif ((rc == 0)); then note "bench: done (performance.md, results.json)"
    else note "bench: exit $rc (see compare.log)"; fi
  fi

  # -- the benchmarked models' outputs against onnxruntime, and where GoogLeNet's time goes -----------------
  if want_step check; then
    echo; echo "== outputs: kiln FP32 and FP16 against onnxruntime (CPU) on the benchmarked ONNX files =="
    local models=() m
    for m in "$MODEL_DIR"/{resnet50,googlenet}_b{1,256}.onnx; do [[ -f $m ]] && models+=("$m"); done
    if ((${#models[@]})); then
      timeout -k 5 "$(limit 150)" python3 benchmarks/gpu/check_outputs.py --kiln "$BUNDLE/bin/kiln" \
        --lib-path "$KILN_LD_LIBRARY_PATH" --models "$(IFS=,; echo "${models[*]}")" --out "$OUT" 2>&1
      note "check: exit $? ($(grep -c ' ok$' "$OUT/outputs.txt" 2>/dev/null) ok, $(grep -c 'FAILED\|failed' "$OUT/outputs.txt" 2>/dev/null) failed; outputs.txt)"
    else note "check: no exported models in $MODEL_DIR"; fi
  fi
  if want_step plan; then
    # A device plan through a file: build, inspect (the tuning notes), run the plan; same outputs as the ONNX run.
    local m=$MODEL_DIR/resnet50_b1.onnx x=/tmp/kiln-plan-input.npy
    if [[ -f $m ]]; then
      echo; echo "== plan file: kiln build / inspect / run (resnet50 batch 1, configs/cuda-fp16.yaml) =="
      python3 -c "import numpy as np; np.save('$x', np.random.default_rng(5).standard_normal((1,3,224,224)).astype(np.float32))"
      local k=(env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln")
      timeout -k 5 "$(limit 60)" "${k[@]}" build "$m" --config configs/cuda-fp16.yaml -o /tmp/r50.plan 2>&1 | tail -n 4
      timeout -k 5 "$(limit 20)" "${k[@]}" inspect /tmp/r50.plan 2>&1 | grep -E "^memory|^streams|note:" | head -n 6
      timeout -k 5 "$(limit 40)" "${k[@]}" run "$m" --config configs/cuda-fp16.yaml --input input=$x --output-dir /tmp/from-onnx 2>&1 | grep -E "loaded|latency"
      timeout -k 5 "$(limit 40)" "${k[@]}" run /tmp/r50.plan --input input=$x --output-dir /tmp/from-plan --device-io --iterations 100 2>&1 | grep -E "loaded|latency"
      if cmp -s /tmp/from-onnx/output.npy /tmp/from-plan/output.npy; then note "plan: built, inspected, run; outputs byte-identical to the ONNX run"
      else note "plan: outputs DIFFER from the ONNX run (or a step failed)"; fi
    fi
  fi
  if want_step profile; then
    local m
    for m in ${KILN_GPU_PROFILE:-googlenet_b256}; do
      [[ -f $MODEL_DIR/$m.onnx ]] || continue
      echo; echo "== per-layer profile: $m (configs/cuda-fp16.yaml) =="
      timeout -k 5 "$(limit 60)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln" run \
        "$MODEL_DIR/$m.onnx" --config configs/cuda-fp16.yaml --iterations 3 --warmup 1 --device-io \
        --profile-layers 2>&1 | tee "$OUT/profile-$m.txt" | sed -n '/^profile/,$p'
    done
  fi

  if want_step int8; then
    # INT8 (configs/cuda-int8.yaml) against kiln FP16 and PyTorch FP16 at batch 256, plus INT8 vs FP32 error.
    echo; echo "== INT8: calibration, accuracy against FP32, speed against FP16 =="
    local int8_s=${KILN_GPU_INT8_S:-300}
    timeout -k 5 "$(limit "$int8_s")" python3 benchmarks/gpu/int8_compare.py --kiln "$BUNDLE/bin/kiln" \
      --lib-path "$KILN_LD_LIBRARY_PATH" --model-dir "$MODEL_DIR" ${EXPORT_FLAGS[@]+"${EXPORT_FLAGS[@]}"} --models "${KILN_GPU_MODELS:-resnet50,googlenet}" --out "$OUT" --budget-s "$(limit $((int8_s - 10)))" 2>&1
    note "int8: exit $? (int8.md)"
  fi
  if want_step plugin-check; then
    # `kiln plugin check` over the CUDA pack: every kernel against the reference pack on drawn cases, on the GPU.
    echo; echo "== kiln plugin check: the CUDA pack against the reference pack =="
    local check=(env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln" plugin check
                 "$BUNDLE/lib/kiln/plugins/libkiln_cuda.so" --against "$BUNDLE/lib/kiln/plugins/libkiln_cpu_reference.so")
    timeout -k 5 "$(limit 240)" "${check[@]}" --cases "${KILN_GPU_CHECK_CASES:-32}" 2>&1 | tee "$OUT/plugin-check.txt" |
      grep -E "^(FAIL|summary)"
    note "plugin-check: exit ${PIPESTATUS[0]} (plugin-check.txt)"
    # First layers (1-4 input channels, stride 2) are a small share of the INT8 convolutions drawn, and most of
    # those end on grids these kernels decline: many more cases for them.
    timeout -k 5 "$(limit 120)" "${check[@]}" --kernel 'kiln.cuda.*FirstLayer' --cases 192 2>&1 |
      tee -a "$OUT/plugin-check.txt" | grep -E "^(PASS|FAIL|SKIP|summary)"
    note "plugin-check, first layers: exit ${PIPESTATUS[0]} (plugin-check.txt)"
  fi
  if want_step template && [[ -d $BUNDLE/template ]]; then
    # The plugin template's CUDA kernel (examples/plugin-template, built by scripts/gpu-check against the bundle's
    # kiln) through its own test, against numpy.
    echo; echo "== plugin template: its CUDA kernel's test =="
    timeout -k 5 "$(limit 120)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" python3 \
      examples/plugin-template/tests/layer_scale_test.py --kiln "$BUNDLE/bin/kiln" \
      --plugin "$BUNDLE/template/libcom_example_layer_scale.so" --packs "$BUNDLE/lib/kiln/plugins" --device cuda \
      --work /tmp/kiln-template 2>&1 | tee "$OUT/template.txt"
    note "template: exit ${PIPESTATUS[0]} (template.txt)"
  fi
  if want_step imma && [[ -x $BUNDLE/bin/conv_int8_imma_bench ]]; then
    # kiln's own INT8 convolution kernel alone, every tile shape, against a copy of as many bytes; then one
    # layer (KILN_IMMA_PROFILE="layer tile", default the layer1 residual 1x1 on 128x128) under Nsight Compute
    # when the machine has it and lets it read the counters.
    echo; echo "== kiln int8 implicit GEMM: ResNet-50 layer shapes, batch 256 =="
    timeout -k 5 "$(limit 120)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/conv_int8_imma_bench" 256 2>&1 | tee "$OUT/imma.txt"
    local ncu; ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -n 1)
    if [[ -n $ncu ]]; then
      timeout -k 5 "$(limit 120)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$ncu" --kernel-name regex:conv_int8_imma \
        --launch-skip 3 --launch-count 1 --section SpeedOfLight --section Occupancy --section WarpStateStats \
        --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section InstructionStats \
        --section SourceCounters --section LaunchStats "$BUNDLE/bin/conv_int8_imma_bench" 256 ${KILN_IMMA_PROFILE:-4 0} \
        2>&1 | tail -n 220 | tee -a "$OUT/imma.txt"
    else echo "no ncu here" | tee -a "$OUT/imma.txt"; fi
    note "imma: exit $? (imma.txt)"
  fi
  if want_step stem && [[ -x $BUNDLE/bin/cudnn_stem_probe ]]; then
    echo; echo "== cuDNN FP16 stem: 3 input channels against 4 and 8 =="
    timeout -k 5 "$(limit 90)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/cudnn_stem_probe" 256 2>&1 | tee "$OUT/stem.txt"
    note "stem: exit $? (stem.txt)"
  fi
  if want_step probe && [[ -x $BUNDLE/bin/cudnn_int8_probe ]]; then
    echo; echo "== cuDNN INT8 probe: legacy-API algorithms and times, INT8 layouts against FP16 =="
    timeout -k 5 "$(limit 120)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/cudnn_int8_probe" 2>&1 | tee "$OUT/probe.txt"
    note "probe: exit $? (probe.txt)"
  fi
  if want_step streams; then
    # The same plans on 1 stream, to compare with the 4-stream rows above (configs/cuda-fp16.yaml).
    sed 's/^streams:.*$/streams: 1/' configs/cuda-fp16.yaml >/tmp/kiln-cuda-fp16-1stream.yaml
    local m
    for m in googlenet_b1 googlenet_b256 resnet50_b1; do
      [[ -f $MODEL_DIR/$m.onnx ]] || continue
      echo "== 1 stream: $m"
      timeout -k 5 "$(limit 40)" env LD_LIBRARY_PATH="$KILN_LD_LIBRARY_PATH" "$BUNDLE/bin/kiln" run \
        "$MODEL_DIR/$m.onnx" --config /tmp/kiln-cuda-fp16-1stream.yaml --iterations 100 --warmup 10 \
        --device-io 2>&1 | grep -E "latency|error" | tee -a "$OUT/streams.txt"
    done
  fi

  echo; echo "== summary ($SECONDS s) =="
  printf '  %s\n' "${summary[@]}"
  [[ -f $OUT/performance.md ]] && { echo; sed -n '/^| model/,/^$/p' "$OUT/performance.md"; }
  return 0
}

main 2>&1 | tee "$OUT/remote.log"
exit "${PIPESTATUS[0]}"
