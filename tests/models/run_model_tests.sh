#!/usr/bin/env bash
# Whole-model tests: each model runs through `kiln run` and its outputs are compared with onnxruntime's.
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
echo "all ${#models[@]} models match onnxruntime (relative L2 <= $threshold)"
