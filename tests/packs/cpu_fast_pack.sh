#!/usr/bin/env bash
# Packs compose through config alone: configs/cpu-fast.yaml loads kiln.cpu_reference and kiln.cpu_fast and
# prefers the fast kernels. For the bundled CNN (and, when exported into ~/.cache/kiln/models, MobileNetV2,
# GoogLeNet, whose inception 1x1 convolutions are stacked by horizontal fusion, and ResNet-50): the plan built with
# it runs every convolution (Conv, ConvFused) and Gemm/MatMul on kiln.cpu_fast with a serialized state (packed
# weights), MaxPool on kiln.cpu_fast too, and every other layer on kiln.cpu_reference; the plan and the ONNX run
# match configs/cpu.yaml's outputs within 1e-4 (relative above 1); configs/cpu.yaml never loads the fast pack.
#
#   tests/packs/cpu_fast_pack.sh BUILD/bin/kiln SOURCE_DIR
#
# Needs numpy and onnx in /usr/bin/python3.
set -euo pipefail
kiln=$(realpath "$1")
src=$(realpath "$2")
source "$src/tests/cli/lib.sh"  # $work, pass, fail, check, finish

py=/usr/bin/python3
fast_cfg=$src/configs/cpu-fast.yaml
ref_cfg=$src/configs/cpu.yaml

# run_to DIR MODEL_OR_PLAN INPUT [ARGS...]: one run, outputs as .npy in DIR.
run_to() {
  local dir=$1 model=$2 input=$3
  shift 3
  "$kiln" run "$model" --input "$input" "$@" --iterations 1 --warmup 0 --output-dir "$dir" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; return 1; }
}

# close A B: the same .npy files in both folders, equal within 1e-4 (relative above 1).
close() {
  "$py" - "$1" "$2" <<'PY'
import os, sys
import numpy as np
a, b = sys.argv[1:]
names = sorted(f for f in os.listdir(a) if f.endswith(".npy"))
assert names and names == sorted(f for f in os.listdir(b) if f.endswith(".npy")), (names, os.listdir(b))
for n in names:
    x, y = np.load(os.path.join(a, n)), np.load(os.path.join(b, n))
    assert x.shape == y.shape, (n, x.shape, y.shape)
    err = float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y)))) if x.size else 0.0
    print(f"{n}: max error {err:.2e}")
    assert err <= 1e-4, f"{n}: {err}"
PY
}

# same A B: the same .npy files in both folders, byte for byte.
same() {
  local f
  for f in "$1"/*.npy; do cmp "$f" "$2/$(basename "$f")" || return 1; done
  [[ $(ls "$1"/*.npy | wc -l) -eq $(ls "$2"/*.npy | wc -l) ]]
}

# kernels PLAN: the plan's layers as "kernel state_bytes op" lines.
kernels() {
  "$kiln" inspect "$1" --format json | "$py" -c 'import json, sys
for layer in json.load(sys.stdin)["layers"]:
    print(layer["kernel"], layer.get("state_bytes", 0), layer["op"])'
}

# The plan's layer assignment: fast ops on kiln.cpu_fast with a state, every other layer on the reference pack.
check_assignment() {
  local name=$1 listing=$2
  "$py" - "$listing" <<'PY'
import sys
fast_ops = {"Conv", "ConvFused", "Gemm", "MatMul", "MaxPool"}
counts = {"fast": 0, "reference": 0}
for line in open(sys.argv[1]):
    kernel, state, op = line.split()
    if op in fast_ops:
        assert kernel.startswith("kiln.cpu_fast."), f"{op} ran on {kernel}"
        assert op == "MaxPool" or int(state) > 0, f"{kernel}: no serialized state in the plan"
        counts["fast"] += 1
    else:
        assert kernel.startswith("kiln.cpu_ref."), f"{op} ran on {kernel}"
        counts["reference"] += 1
assert counts["fast"] > 0, "no layer ran on kiln.cpu_fast"
print(f'{counts["fast"]} layers on kiln.cpu_fast, {counts["reference"]} on kiln.cpu_reference')
PY
}

one_model() {
  local name=$1 model=$2 dir=$work/$1
  mkdir -p "$dir"
  check "$name: random input" "$py" "$src/scripts/models/make_random_input.py" "$model" "$dir/input.npy" --seed 3
  local input_name
  input_name=$("$py" -c 'import onnx, sys
g = onnx.load(sys.argv[1], load_external_data=False).graph
init = {t.name for t in g.initializer}
print([i.name for i in g.input if i.name not in init][0])' "$model")
  local feed="$input_name=$dir/input.npy"
  check "$name: cpu.yaml (reference pack alone)" run_to "$dir/ref" "$model" "$feed" --config "$ref_cfg"
  if grep -q "cpu_fast" "$dir/ref.log"; then fail "$name: configs/cpu.yaml loaded kiln.cpu_fast"; else pass "$name: configs/cpu.yaml never loads kiln.cpu_fast"; fi
  check "$name: cpu-fast.yaml, from the ONNX model" run_to "$dir/fast" "$model" "$feed" --config "$fast_cfg"
  check "$name: ONNX run with the fast pack matches cpu.yaml" close "$dir/fast" "$dir/ref"
  cat "$work/check.log"
  check "$name: kiln build with cpu-fast.yaml" "$kiln" build "$model" --config "$fast_cfg" -o "$dir/fast.plan"
  kernels "$dir/fast.plan" >"$dir/kernels.txt"
  check "$name: convolutions on kiln.cpu_fast (with packed state), the rest on kiln.cpu_reference" check_assignment "$name" "$dir/kernels.txt"
  cat "$work/check.log"
  check "$name: the plan runs (its fast layers loaded from their serialized state)" run_to "$dir/plan" "$dir/fast.plan" "$feed"
  check "$name: the plan's outputs match cpu.yaml" close "$dir/plan" "$dir/ref"
  check "$name: the plan's outputs equal, byte for byte, the ONNX run's with the same packs" same "$dir/plan" "$dir/fast"
}

one_model tiny_cnn "$src/examples/models/tiny_cnn.onnx"
for m in mobilenet_v2 googlenet resnet50; do
  f=$HOME/.cache/kiln/models/$m.onnx
  if [[ -f $f ]]; then one_model "$m" "$f"; else echo "skip  $m: $f not exported (scripts/models/export_models.py)"; fi
done
finish
