#!/usr/bin/env bash
# Whole-model tests: each model runs through `kiln run` and its outputs are compared with onnxruntime's. Each
# model is also built into a plan (`kiln build`), whose outputs must be byte-identical to the ONNX run's; the
# models in $arena_limited must plan their intermediates into at most a third of one buffer per value.
#
#   tests/models/run_model_tests.sh [--oracles-only] [MODEL ...]
#
# Models: the bundled examples/models/tiny_cnn.onnx and the PyTorch exports of scripts/models/export_models.py
# (exported once into $KILN_MODEL_CACHE, default ~/.cache/kiln/models; onnxruntime references are cached next
# to them). --oracles-only skips kiln and checks the oracles instead: PyTorch's output against onnxruntime's.
# Environment: KILN (default <repo>/build/bin/kiln), KILN_SOURCE_DIR, KILN_MODEL_CACHE, KILN_MODELS (names to
# run when none are given), KILN_MODEL_THRESHOLD (relative L2, default 1e-4). Exits 77 (ctest's "skipped") when torch or onnxruntime is missing.
set -uo pipefail

src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
kiln=${KILN:-$src/build/bin/kiln}
cache=${KILN_MODEL_CACHE:-$HOME/.cache/kiln/models}
threshold=${KILN_MODEL_THRESHOLD:-1e-4}
scripts=$src/scripts/models
all_models=(tiny_cnn resnet50 googlenet mobilenet_v2 squeezenet1_1 densenet121 shufflenet_v2_x1_0 bert_encoder)
arena_limited=" resnet50 googlenet "  # arena <= naive / 3

oracles_only=0
if [[ "${1:-}" == "--oracles-only" ]]; then oracles_only=1; shift; fi
models=("$@")
(( ${#models[@]} )) || read -ra models <<< "${KILN_MODELS:-${all_models[*]}}"

# The two oracles live in two Pythons: Debian's (torch, for exporting) and the one on PATH (pip onnxruntime).
if ! /usr/bin/python3 -c "import torch, torchvision, onnx, numpy" 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 cannot import torch, torchvision, onnx and numpy (scripts/install-deps.sh --test)"
  exit 77
fi
if ! python3 -c "import onnxruntime, numpy" 2>/dev/null; then
  echo "SKIP: python3 ($(command -v python3)) cannot import onnxruntime and numpy (scripts/install-deps.sh --test)"
  exit 77
fi
if (( ! oracles_only )) && [[ ! -x "$kiln" ]]; then
  echo "FAIL: kiln CLI not found at '$kiln' (build it, or set KILN)"
  exit 1
fi

mkdir -p "$cache" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()

# prepare NAME: makes $cache/NAME.onnx and NAME.input.npy exist; prints the model's path.
prepare() {
  local name=$1
  if [[ $name == tiny_cnn ]]; then
    [[ -f "$cache/tiny_cnn.input.npy" ]] ||
      python3 "$scripts/make_random_input.py" "$src/examples/models/tiny_cnn.onnx" "$cache/tiny_cnn.input.npy" \
        >/dev/null || return 1
    echo "$src/examples/models/tiny_cnn.onnx"
  else
    # Exported once: starting torch only to hear "cached" costs seconds per model.
    # The TorchScript exporter is chatty (warnings on stderr); keep its log for when it fails.
    [[ -f "$cache/$name.onnx" && -f "$cache/$name.input.npy" && -f "$cache/$name.torch/output.npy" ]] ||
      /usr/bin/python3 "$scripts/export_models.py" --cache "$cache" "$name" >"$work/export.log" 2>&1 ||
      { cat "$work/export.log" >&2; return 1; }
    echo "$cache/$name.onnx"
  fi
}

# reference MODEL NAME: onnxruntime's outputs in $cache/NAME.ort, recomputed when the model is newer.
reference() {
  local model=$1 ref=$cache/$2.ort
  if [[ -d "$ref" && "$ref" -nt "$model" ]]; then return 0; fi
  rm -rf "$ref" "$ref.partial"
  python3 "$scripts/ort_reference.py" "$model" --input input="$cache/$2.input.npy" --output-dir "$ref.partial" \
    >/dev/null && mv "$ref.partial" "$ref"
}

# check_plan NAME MODEL ONNX_OUTPUTS: builds MODEL into a plan, runs it once on the same input and compares its
# outputs byte for byte with the ONNX run's; checks the arena of the models in $arena_limited.
check_plan() {
  local name=$1 model=$2 expected=$3 plan=$work/$1.plan actual=$work/$1.plan.out f
  if ! "$kiln" build "$model" --config "$src/configs/cpu.yaml" -o "$plan" >"$work/build.log" 2>&1; then
    cat "$work/build.log"; echo "FAIL  $name: kiln build exited non-zero"; return 1
  fi
  grep -E "^summary" "$work/build.log"
  if ! "$kiln" run "$plan" --input input="$cache/$name.input.npy" --iterations 1 --warmup 0 \
      --output-dir "$actual" >"$work/kiln.log" 2>&1; then
    cat "$work/kiln.log"; echo "FAIL  $name: kiln run of the plan exited non-zero"; return 1
  fi
  grep -E "^latency" "$work/kiln.log" | sed 's/^/plan   /'
  for f in "$expected"/*.npy; do
    if ! cmp -s "$f" "$actual/$(basename "$f")"; then
      echo "FAIL  $name: the plan's $(basename "$f") differs from the ONNX run's"; return 1
    fi
  done
  local limit=0
  [[ $arena_limited == *" $name "* ]] && limit=1
  "$kiln" inspect "$plan" --format json | python3 -c '
import json, sys
memory, limit = json.load(sys.stdin)["memory"], sys.argv[1] == "1"
arena, naive = memory["arena_bytes"], memory["naive_bytes"]
ratio = arena / naive if naive else 0.0
print(f"plan   arena {arena / 2**20:.2f} MiB of {naive / 2**20:.2f} MiB naive ({100 * ratio:.1f}%)")
if limit and 3 * arena > naive:
    sys.exit(f"FAIL  arena is more than a third of the naive sum")
' "$limit" || { echo "FAIL  $name: memory plan"; return 1; }
}

for name in "${models[@]}"; do
  echo "== $name"
  start=$SECONDS
  if ! model=$(prepare "$name") || ! reference "$model" "$name"; then
    echo "FAIL  $name: could not export the model or compute the onnxruntime reference"
    failed+=("$name"); continue
  fi
  if (( oracles_only )); then
    if [[ $name == tiny_cnn ]]; then echo "(no PyTorch original)"; continue; fi
    actual=$cache/$name.torch
  else
    actual=$work/$name
    # One warm-up run plus one timed run: the compared outputs come from the second, so buffer reuse is tested.
  if ! "$kiln" run "$model" --config "$src/configs/cpu.yaml" --input input="$cache/$name.input.npy" --iterations 1 \
        --output-dir "$actual" >"$work/kiln.log" 2>&1; then
      cat "$work/kiln.log"
      echo "FAIL  $name: kiln run exited non-zero"
      failed+=("$name"); continue
    fi
    grep -E "^(model|latency)" "$work/kiln.log"
    if ! check_plan "$name" "$model" "$actual"; then failed+=("$name"); continue; fi
  fi
  if python3 "$src/tests/models/compare_outputs.py" "$actual" "$cache/$name.ort" --threshold "$threshold"; then
    echo "ok    $name ($((SECONDS - start)) s)"
  else
    echo "FAIL  $name: outputs differ from onnxruntime's"
    failed+=("$name")
  fi
done

if (( ${#failed[@]} )); then
  echo "${#failed[@]} of ${#models[@]} models failed: ${failed[*]}"
  exit 1
fi
echo "all ${#models[@]} models match onnxruntime (relative L2 <= $threshold)$( ((oracles_only)) || echo ", and their plans the ONNX runs byte for byte")"
