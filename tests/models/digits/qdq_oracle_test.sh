#!/usr/bin/env bash
# Explicit quantization against an independent oracle: the digits CNN (train_digits.py) is quantized by
# onnxruntime's quantize_static into a QDQ model (QuantizeLinear/DequantizeLinear pairs around every op,
# per-channel symmetric int8 weights, symmetric int8 activations calibrated on the training batches), then run
# by onnxruntime (CPU EP) and by kiln (CPU reference pack, FP32 config: the model's own QDQ nodes are what make
# it INT8) on the 360 held-out images.
#
#   tests/models/digits/qdq_oracle_test.sh BUILD/bin/kiln
#
# Checks:
#   - kiln's and onnxruntime's top-1 agree on >= 99% of the images;
#   - the logits match: they are the output of a DequantizeLinear, so they lie on a grid of one output scale,
#     and the largest difference must be at most $max_steps of those steps (if the quantizer ever leaves the
#     logits float, their relative L2 difference must be below $max_rel_l2 instead);
#   - kiln's top-1 accuracy against the labels is within 1 point of onnxruntime's;
#   - the model was really run in INT8: `kiln build` reports that >= $min_folded layers read the model's
#     quantized values directly, and `kiln inspect` shows that many compute layers (not Quantize/Dequantize-
#     Linear) with int8 precision.
#
# Needs torch, scikit-learn, onnx and numpy in /usr/bin/python3 (training) and onnx, onnxruntime (with
# onnxruntime.quantization) and numpy in the `python3` on PATH (quantizing, the oracle, the comparison);
# exits 77 (ctest's "skipped") without them. KILN_TEST_KEEP=1 keeps the work folder and prints where it is.
set -uo pipefail

source "$(dirname "$0")/lib.sh"  # require_kiln, require_training_python, make_work_dir, fail, train_digits
min_agree_pct=99     # kiln vs onnxruntime top-1 agreement, percent of the test images
max_steps=3          # largest logit difference, in output quantization steps
max_rel_l2=0.05      # only if the logits are not dequantized values
max_acc_gap_pp=1.0   # kiln's accuracy vs onnxruntime's, percentage points
min_folded=3         # layers that must read the model's quantized values directly
min_oracle_pct=90    # below this onnxruntime's QDQ model itself is broken and the comparison means little

require_kiln "$@"
require_training_python
ort_py=$(command -v python3 || true)
if [[ -z $ort_py ]]; then
  echo "SKIP: no python3 on PATH (needed with onnx, onnxruntime and numpy)"
  exit 77
fi
if ! "$ort_py" -c "import onnx, numpy, onnxruntime, onnxruntime.quantization" 2>/dev/null; then
  echo "SKIP: $ort_py (python3 on PATH) cannot import onnx, numpy, onnxruntime and onnxruntime.quantization" \
    "(pip install onnx onnxruntime numpy)"
  exit 77
fi

make_work_dir kiln-qdq
train_digits

echo "== quantizing with onnxruntime ($ort_py) and running the QDQ model with onnxruntime"
if ! "$ort_py" "$here/quantize_qdq.py" "$work" >"$work/quantize.log" 2>&1; then
  sed 's/^/      | /' "$work/quantize.log" | tail -n 30
  echo "FAIL: quantize_qdq.py failed (onnxruntime could not quantize or run the model; kiln was not involved)"
  exit 1
fi
grep -vE "^(WARNING|INFO)|^\s*$" "$work/quantize.log" | sed 's/^/  /'

cat >"$work/fp32.yaml" <<EOF
version: 1
device: cpu
plugins: [kiln_cpu_reference]
EOF

echo "== kiln build"
if ! "$kiln" build "$work/model_qdq.onnx" --config "$work/fp32.yaml" -o "$work/qdq.plan" >"$work/build.log" 2>&1; then
  sed 's/^/      | /' "$work/build.log" | tail -n 20
  fail "kiln build of model_qdq.onnx failed"
else
  folded_line=$(grep -E "read the model's quantized values directly" "$work/build.log" | head -n 1)
  folded=$(sed -nE "s/.*quantize +([0-9]+) layer\(s\) read the model's quantized values directly.*/\1/p" \
    <<<"$folded_line")
  if [[ -z $folded_line ]]; then
    sed 's/^/      | /' "$work/build.log"
    fail "kiln build printed no 'quantize  N layer(s) read the model's quantized values directly' line: nothing folded"
  elif (( ${folded:-0} < min_folded )); then
    sed 's/^/      | /' "$work/build.log"
    fail "kiln build folded ${folded:-0} layer(s) into INT8, expected >= $min_folded ('$folded_line')"
  else
    echo "ok    kiln build: $(sed -E 's/^ *//' <<<"$folded_line")"
  fi

  # The plan itself: compute layers (not the model's own Quantize/DequantizeLinear) whose precision is int8.
  if ! "$kiln" inspect "$work/qdq.plan" --format json >"$work/inspect.json" 2>"$work/inspect.err"; then
    sed 's/^/      | /' "$work/inspect.err"
    fail "kiln inspect of the plan failed"
  else
    "$kiln" inspect "$work/qdq.plan" --format text >"$work/inspect.txt" 2>&1
    int8_layers=$("$ort_py" - "$work/inspect.json" <<'PY'
import json, sys
layers = json.load(open(sys.argv[1]))["layers"]
for layer in layers:
    if layer["precision"] == "int8" and layer["op"] not in ("QuantizeLinear", "DequantizeLinear"):
        print(f"{layer['name']}\t{layer['op']}\t{layer['kernel']}")
PY
    )
    n_int8=$(grep -c . <<<"$int8_layers")
    if (( n_int8 < min_folded )); then
      grep -E "^ +[0-9]+ " "$work/inspect.txt" | sed 's/^/      | /'
      fail "kiln inspect shows $n_int8 compute layer(s) with int8 precision, expected >= $min_folded"
    else
      echo "ok    kiln inspect: $n_int8 compute layer(s) run in int8:"
      awk -F'\t' '{ printf "        %-24s %-6s %s\n", $1, $2, $3 }' <<<"$int8_layers"
    fi
  fi
fi

echo "== kiln run"
if ! "$kiln" run "$work/model_qdq.onnx" --config "$work/fp32.yaml" --input image="$work/test.npy" \
    --output-dir "$work/kiln" --iterations 1 --warmup 0 >"$work/run.log" 2>&1; then
  sed 's/^/      | /' "$work/run.log" | tail -n 20
  fail "kiln run of model_qdq.onnx failed (rerun with --verbose for the kernel chosen per layer)"
elif [[ ! -f "$work/kiln/logits.npy" ]]; then
  sed 's/^/      | /' "$work/run.log"
  fail "kiln run succeeded but wrote no logits.npy"
else
  echo "== kiln vs onnxruntime on $(basename "$work")/test.npy"
  # Counts of images are compared, not rounded percentages, so the limits are exact.
  if ! "$ort_py" - "$work" "$min_agree_pct" "$max_steps" "$max_rel_l2" "$max_acc_gap_pp" "$min_oracle_pct" <<'PY'; then
import json
import sys
import numpy as np

work = sys.argv[1]
min_agree, max_steps, max_rel_l2, max_gap, min_oracle = map(float, sys.argv[2:7])
info = json.load(open(f"{work}/qdq_info.json"))
labels = np.load(f"{work}/test_labels.npy")
ort = np.load(f"{work}/ort_logits.npy").astype(np.float64)
ort_fp32 = np.load(f"{work}/ort_fp32_logits.npy").astype(np.float64)
kiln = np.load(f"{work}/kiln/logits.npy")
n = len(labels)
problems = []

if kiln.shape != ort.shape or not np.all(np.isfinite(kiln)):
    print(f"  kiln's logits: shape {kiln.shape} dtype {kiln.dtype}, all finite {bool(np.isfinite(kiln).all())};"
          f" onnxruntime's: shape {ort.shape}")
    sys.exit(1)
kiln = kiln.astype(np.float64)

diff = np.abs(kiln - ort)
max_diff = float(diff.max())
rel_l2 = float(np.linalg.norm(kiln - ort) / max(np.linalg.norm(ort), 1e-30))
agree = int((kiln.argmax(1) == ort.argmax(1)).sum())
correct = {name: int((x.argmax(1) == labels).sum()) for name, x in
           (("ort fp32", ort_fp32), ("ort qdq", ort), ("kiln qdq", kiln))}

print(f"  {'run':<10}{'top-1':>9}  correct")
for name, c in correct.items():
    print(f"  {name:<10}{100.0 * c / n:>8.2f}%  {c}/{n}")
print()
print(f"  top-1 agreement kiln vs onnxruntime   {agree}/{n} = {100.0 * agree / n:.2f}%  (need >= {min_agree:g}%)")
print(f"  max |kiln - onnxruntime|              {max_diff:.6g}")
print(f"  relative L2 difference                {rel_l2:.6g}")
print(f"  logits differing                      {int((diff > 0).sum())}/{diff.size}")

if info["output_dequantized"]:
    step = info["output_scale"]
    steps = diff / step
    hist = np.unique(np.round(steps).astype(int), return_counts=True)
    print(f"  output step (logits DequantizeLinear) {step:.6g}, zero point {info['output_zero_point']}")
    print(f"  max difference in steps               {max_diff / step:.3f}  (need <= {max_steps:g})")
    buckets = [f"{s}: {c}" for s, c in zip(*hist)]
    print(f"  logits by difference in steps         "
          + ", ".join(buckets[:10]) + (f", ... ({len(buckets) - 10} more)" if len(buckets) > 10 else ""))
    if max_diff > max_steps * step * (1 + 1e-6):
        problems.append(f"logits differ by up to {max_diff / step:.2f} output steps (> {max_steps:g})")
else:
    print(f"  logits are not a DequantizeLinear output: relative L2 must be < {max_rel_l2:g}")
    if not rel_l2 < max_rel_l2:
        problems.append(f"relative L2 difference {rel_l2:.4g} >= {max_rel_l2:g}")

if agree * 100 < min_agree * n - 1e-9:
    problems.append(f"top-1 agreement {100.0 * agree / n:.2f}% < {min_agree:g}%")
gap = 100.0 * (correct["kiln qdq"] - correct["ort qdq"]) / n
print(f"  accuracy kiln - onnxruntime           {gap:+.2f} points  (need within {max_gap:g})")
if abs(gap) > max_gap + 1e-9:
    problems.append(f"kiln's accuracy is {gap:+.2f} points from onnxruntime's (limit {max_gap:g})")
if 100.0 * correct["ort qdq"] / n < min_oracle:
    problems.append(f"onnxruntime's own QDQ accuracy {100.0 * correct['ort qdq'] / n:.2f}% is below {min_oracle:g}%:"
                    " the quantized model is broken, the comparison means little")

if problems:
    worst = np.unravel_index(diff.argmax(), diff.shape)
    print(f"  worst logit: image {worst[0]}, class {worst[1]}: kiln {kiln[worst]:.6g}, onnxruntime {ort[worst]:.6g}")
    for p in problems:
        print(f"  problem: {p}")
    sys.exit(1)
PY
    fail "kiln's results on the QDQ model do not match onnxruntime's (table above)"
  fi
fi

echo
if (( ${#failures[@]} )); then
  echo "${#failures[@]} failure(s):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "kiln matches onnxruntime on the QDQ digits model"
