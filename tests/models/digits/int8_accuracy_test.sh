#!/usr/bin/env bash
# INT8 post-training quantization, end to end on a real (if small) classifier: a CNN trained on scikit-learn's
# bundled digits is run by kiln in FP32 and, for each calibrator, in INT8 calibrated on training images; each
# INT8 top-1 accuracy on the 360 held-out images must be within 1 percentage point of FP32's.
#
#   tests/models/digits/int8_accuracy_test.sh BUILD/bin/kiln
#
# Besides accuracy it checks, per method, that the calibration cache is written in its documented format and
# that a build from the cache alone (calibration data moved away) gives byte-identical logits, and that
# `kiln build` (or the plan, through `kiln inspect`) reports INT8 layers: a build that silently stayed FP32
# would pass the accuracy check trivially.
#
# Needs torch, scikit-learn (python3-sklearn), onnx and numpy in /usr/bin/python3; exits 77 (ctest's
# "skipped") without them. Training takes a few seconds on one CPU thread. KILN_TEST_KEEP=1 keeps the work
# folder (model, data, configs, logs) and prints where it is.
set -uo pipefail

source "$(dirname "$0")/lib.sh"  # require_kiln, require_training_python, make_work_dir, fail, train_digits
py=$train_py
methods=(minmax entropy percentile)
max_drop_pp=1.0   # INT8 may lose at most this many percentage points of top-1 accuracy
min_fp32_pct=90   # below this the model is broken and a small INT8 drop would mean nothing

require_kiln "$@"
require_training_python
make_work_dir kiln-digits
train_digits

# Absolute paths everywhere: the configs must not depend on how kiln resolves relative ones.
cat >"$work/fp32.yaml" <<EOF
version: 1
device: cpu
plugins: [kiln_cpu_reference]
EOF
for m in "${methods[@]}"; do
  {
    echo "version: 1"
    echo "device: cpu"
    echo "plugins: [kiln_cpu_reference]"
    echo "precision: int8"
    echo "calibration:"
    echo "  data: $work/calib"
    echo "  method: $m"
    [[ $m == percentile ]] && echo "  percentile: 99.99"
    echo "  cache: $work/$m.calib"
  } >"$work/$m.yaml"
done

# run_kiln NAME CONFIG: one run over the test images; logits land in $work/NAME/logits.npy, the log in
# $work/NAME.log. On failure prints kiln's error and returns 1.
run_kiln() {
  local name=$1 config=$2
  rm -rf "${work:?}/$name"
  if ! "$kiln" run "$work/model.onnx" --config "$config" --input image="$work/test.npy" \
      --output-dir "$work/$name" --iterations 1 --warmup 0 >"$work/$name.log" 2>&1; then
    sed 's/^/      | /' "$work/$name.log" | tail -n 15
    return 1
  fi
  if [[ ! -f "$work/$name/logits.npy" ]]; then
    echo "      kiln run succeeded but wrote no $name/logits.npy"
    return 1
  fi
}

echo "== fp32"
if ! run_kiln fp32 "$work/fp32.yaml"; then
  echo "FAIL: the FP32 run failed; nothing to compare INT8 with"
  exit 1
fi

ran=(fp32)
for m in "${methods[@]}"; do
  echo "== int8 $m"
  if run_kiln "$m" "$work/$m.yaml"; then
    ran+=("$m")
  else
    # Reported per method so one unsupported calibrator does not hide how the others fare.
    fail "$m: kiln run with 'precision: int8', 'method: $m' failed (the INT8 config rejected or the build failed)"
  fi
done

echo "== accuracy on $(basename "$work")/test.npy"
# Counts of correct predictions are compared, not rounded percentages, so the 1-point limit is exact.
if ! "$py" - "$work" "$max_drop_pp" "$min_fp32_pct" "${ran[@]}" <<'PY'; then
import sys
import numpy as np

work, max_drop, min_fp32, names = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
labels = np.load(f"{work}/test_labels.npy")
ok = True
fp32 = None
print(f"  {'run':<12}{'top-1':>9}{'delta':>10}  correct")
for name in names:
    logits = np.load(f"{work}/{name}/logits.npy")
    if logits.shape != (len(labels), 10) or not np.all(np.isfinite(logits)):
        print(f"  {name:<12}  bad logits: shape {logits.shape}, finite {np.isfinite(logits).all()}")
        if fp32 is None:
            sys.exit(1)  # nothing to compare the INT8 runs with
        ok = False
        continue
    correct = int((logits.argmax(1) == labels).sum())
    pct = 100.0 * correct / len(labels)
    if fp32 is None:
        fp32 = correct
        print(f"  {name:<12}{pct:>8.2f}%{'':>10}  {correct}/{len(labels)}")
        if pct < min_fp32:
            print(f"  FP32 accuracy {pct:.2f}% is below {min_fp32}%: the model or the FP32 path is broken")
            ok = False
        continue
    delta = 100.0 * (correct - fp32) / len(labels)
    verdict = ""
    if -delta > max_drop + 1e-9:
        verdict = f"  more than {max_drop} points below FP32"
    elif np.array_equal(logits, np.load(f"{work}/{names[0]}/logits.npy")):
        # Rounding to int8 anywhere changes some low bits; exact equality means no layer ran in INT8.
        verdict = "  logits bit-identical to FP32's: nothing ran in INT8"
    print(f"  {name:<12}{pct:>8.2f}%{delta:>+8.2f}pp  {correct}/{len(labels)}{verdict}")
    ok = ok and not verdict
sys.exit(0 if ok else 1)
PY
  fail "accuracy: an INT8 run lost more than $max_drop_pp points, ran nothing in INT8 or FP32 is off (table above)"
fi

for m in "${ran[@]:1}"; do
  echo "== cache and build: $m"
  cache=$work/$m.calib
  header="# kiln calibration cache v1 method=$m"
  if [[ ! -f "$cache" ]]; then
    fail "$m: no calibration cache written at $cache"
  elif [[ "$(head -n 1 "$cache")" != "$header"* ]]; then
    fail "$m: the cache's first line is '$(head -n 1 "$cache")', expected '$header'"
  elif ! grep -Eq '^[^#].*: *[0-9]' "$cache"; then
    fail "$m: the cache holds no 'tensor: scale' line"
  else
    echo "ok    cache: $(grep -Ec '^[^#].*: *[0-9]' "$cache") scales, $(head -n 1 "$cache")"
    # With the data gone, only the cache can supply the scales; identical bytes prove it is read back
    # exactly (the format promises round-trip-exact floats) and that nothing else changed between builds.
    mv "$work/calib" "$work/calib.away"
    if ! run_kiln "$m.cached" "$work/$m.yaml"; then
      fail "$m: the run from the cache alone (calibration data moved away) failed"
    elif ! cmp -s "$work/$m/logits.npy" "$work/$m.cached/logits.npy"; then
      fail "$m: the logits from the cache differ from those of the calibrating run"
    else
      echo "ok    a run from the cache alone gives byte-identical logits"
    fi
    mv "$work/calib.away" "$work/calib"
  fi

  if ! "$kiln" build "$work/model.onnx" --config "$work/$m.yaml" -o "$work/$m.plan" >"$work/$m.build.log" 2>&1; then
    sed 's/^/      | /' "$work/$m.build.log" | tail -n 15
    fail "$m: kiln build of the INT8 config failed"
    continue
  fi
  # Paths are cut out first: they name this folder and the .calib/.yaml files, never the layers' precision.
  mentions=$(sed "s|$work[^ ]*||g" "$work/$m.build.log" | grep -i "int8" | head -n 5)
  # The plan itself says which layers read or write int8 values, whatever the build chose to print.
  int8_layers=$("$kiln" inspect "$work/$m.plan" --format text 2>/dev/null | awk '
    /^ +[0-9]+ / { layer = $1 }
    /^ +(in|out):/ && /int8\[/ && !(layer in seen) { seen[layer] = 1; n++ }
    END { print n + 0 }')
  if [[ -z $mentions && $int8_layers == 0 ]]; then
    sed 's/^/      | /' "$work/$m.build.log"
    fail "$m: neither kiln build nor kiln inspect mentions int8: the model was built in FP32"
  else
    echo "ok    the plan has $int8_layers layer(s) with int8 inputs or outputs"
    if [[ -n $mentions ]]; then sed 's/^/      | kiln build: /' <<<"$mentions"; fi
  fi
done

echo
if (( ${#failures[@]} )); then
  echo "${#failures[@]} failure(s):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "all INT8 digits checks passed (${methods[*]})"
