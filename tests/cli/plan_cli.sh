#!/usr/bin/env bash
# Plans end to end through the CLI, on the CPU: `kiln build` stages and summary, a plan's outputs against the
# ONNX model's, `kiln inspect` in its three formats, bad plan files (each an exit-1 error naming the problem),
# plans across versions of a pack, two packs offering one op, dynamic shapes within and outside a profile, and
# multi-stream plans.
#
#   tests/cli/plan_cli.sh BUILD/bin/kiln SOURCE_DIR
#
# Needs numpy and onnx in /usr/bin/python3; compares with onnxruntime too when `python3` has it.
set -euo pipefail
kiln=$(realpath "$1")
src=$(realpath "$2")
build=$(dirname "$(dirname "$kiln")")
source "$src/tests/cli/lib.sh"  # $work, pass, fail, check, expect_error, finish

py=/usr/bin/python3
model=$src/examples/models/tiny_cnn.onnx
cfg=$src/configs/cpu.yaml
reference_pack=$build/lib/kiln/plugins/libkiln_cpu_reference.so
test_plugins=$build/test_plugins
have_ort=0
if python3 -c "import onnxruntime, numpy" 2>/dev/null; then have_ort=1; fi

# npy FILE SHAPE...: seeded random float32 data of that shape.
npy() {
  local file=$1
  shift
  "$py" -c 'import sys, numpy as np
dims = [int(d) for d in sys.argv[2:]]
np.save(sys.argv[1], np.random.default_rng(sum(dims)).standard_normal(dims).astype(np.float32))' "$file" "$@"
}

# run_to DIR MODEL [ARGS...]: one run (no warm-up), outputs as .npy in DIR.
run_to() {
  local dir=$1
  shift
  "$kiln" run "$@" --iterations 1 --warmup 0 --output-dir "$dir" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; return 1; }
}

# same_outputs A B: both folders hold the same .npy files, byte for byte.
same_outputs() {
  local a=$1 b=$2 f
  [[ "$(cd "$a" && ls ./*.npy)" == "$(cd "$b" && ls ./*.npy)" ]] || { echo "different outputs: $a vs $b"; return 1; }
  for f in "$a"/*.npy; do cmp "$f" "$b/$(basename "$f")" || return 1; done
}

# matches_ort MODEL INPUT DIR: DIR's outputs are within 1e-5 (relative L2) of onnxruntime's for the input.
matches_ort() {
  local model=$1 input=$2 dir=$3
  python3 "$src/scripts/models/ort_reference.py" "$model" --input input="$input" --output-dir "$dir.ort" >/dev/null &&
    python3 "$src/tests/models/compare_outputs.py" "$dir" "$dir.ort" --threshold 1e-5
}

"$py" - "$work" "$model" <<'PY' || { echo "FAIL: could not write the test models"; exit 1; }
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
w, tiny = sys.argv[1], sys.argv[2]

# tiny_cnn with a symbolic batch: what a profile ranges over.
m = onnx.load(tiny)
for v in list(m.graph.input) + list(m.graph.output):
    d = v.type.tensor_type.shape.dim[0]
    d.ClearField("dim_value")
    d.dim_param = "batch"
del m.graph.value_info[:]
onnx.save(m, f"{w}/tiny_dyn.onnx")

# Four towers on one input, concatenated (GoogLeNet's inception block in small): 1x1; 1x1 -> 3x3; 1x1 -> 5x5;
# 3x3 max pool -> 1x1.
rng = np.random.default_rng(7)
inits, nodes = [], []
def conv(x, cin, cout, k, name):
    inits.append(numpy_helper.from_array(rng.standard_normal((cout, cin, k, k)).astype(np.float32) * 0.3, name + ".w"))
    inits.append(numpy_helper.from_array(rng.standard_normal(cout).astype(np.float32) * 0.1, name + ".b"))
    nodes.append(helper.make_node("Conv", [x, name + ".w", name + ".b"], [name], name=name, pads=[k // 2] * 4))
    nodes.append(helper.make_node("Relu", [name], [name + ".relu"], name=name + "_relu"))
    return name + ".relu"
t1 = conv("input", 8, 4, 1, "t1")
t2 = conv(conv("input", 8, 6, 1, "t2a"), 6, 4, 3, "t2b")
t3 = conv(conv("input", 8, 2, 1, "t3a"), 2, 4, 5, "t3b")
nodes.append(helper.make_node("MaxPool", ["input"], ["pool"], name="pool", kernel_shape=[3, 3], pads=[1] * 4))
t4 = conv("pool", 8, 4, 1, "t4")
nodes.append(helper.make_node("Concat", [t1, t2, t3, t4], ["output"], name="concat", axis=1))
g = helper.make_graph(nodes, "towers", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 8, 16, 16])],
                      [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 16, 16, 16])], inits)
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), f"{w}/towers.onnx")

# One node of the versioned test plugin's custom op.
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
g = helper.make_graph([helper.make_node("Scale", ["x"], ["y"], name="scale", domain="kiln.test")], "scale", [x], [y])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("kiln.test", 1)]),
          f"{w}/scale.onnx")
PY
npy "$work/x1.npy" 1 3 64 64

echo "== build, run, compare"
if "$kiln" build "$model" --config "$cfg" -o "$work/tiny.plan" >"$work/build.log" 2>&1; then
  pass "kiln build tiny_cnn"
else
  fail "kiln build tiny_cnn:"; cat "$work/build.log"; finish
fi
for stage in pass kernels schedule memory serialize summary; do
  check "build prints its '$stage' stage" grep -Eq "^$stage +[^ ]" "$work/build.log"
done
check "build summary gives arena vs naive bytes" grep -Eq "arena [0-9.]+ MiB vs [0-9.]+ MiB" "$work/build.log"
check "run the plan" run_to "$work/plan1" "$work/tiny.plan" --input input="$work/x1.npy"
check "run the ONNX model" run_to "$work/onnx1" "$model" --config "$cfg" --input input="$work/x1.npy"
check "plan and ONNX outputs are byte-identical" same_outputs "$work/plan1" "$work/onnx1"
check "a plan loads only the plugins it names" grep -Eq "plugins: kiln\.cpu_reference [0-9.]+ \([^,]+\)\)$" "$work/plan1.log"

echo "== inspect"
check "inspect (text)" "$kiln" inspect "$work/tiny.plan"
"$kiln" inspect "$work/tiny.plan" >"$work/inspect.txt"
layers=$(sed -nE 's/^layers \(([0-9]+)\)$/\1/p' "$work/inspect.txt")
described=$(grep -cE '^ +[0-9]+ .* kiln\.cpu_ref\.[A-Za-z]+ \(kiln\.cpu_reference [0-9]+\.[0-9]+\.[0-9]+\) .*stream [0-9]+' \
  "$work/inspect.txt" || true)
if [[ -n $layers && $layers -gt 0 && $described -eq $layers ]]; then
  pass "inspect names kernel, plugin and version, and stream for all $layers layers"
else
  fail "inspect: $described of '${layers}' layer lines name kernel, plugin, version and stream"; cat "$work/inspect.txt"
fi
check "inspect gives arena offsets and sizes" grep -Eq "arena offset +[0-9]+ size +[0-9]+" "$work/inspect.txt"
check "inspect gives the memory plan" grep -Eq "^memory +arena [0-9]+ bytes, naive [0-9]+ bytes" "$work/inspect.txt"
"$kiln" inspect "$work/tiny.plan" --format json >"$work/inspect.json"
check "inspect --format json parses, with layers and tensors" python3 -c '
import json, sys
plan = json.load(open(sys.argv[1]))
assert plan["layers"] and plan["tensors"], "no layers or tensors"
for layer in plan["layers"]:
    assert layer["kernel"].startswith("kiln.cpu_ref.") and layer["plugin"] == "kiln.cpu_reference", layer
    assert layer["plugin_version"] and layer["stream"] == 0, layer
arena = [t for t in plan["tensors"] if "arena_offset" in t]
assert arena, "no tensor in the arena"
assert all(t["arena_offset"] + t["bytes"] <= plan["memory"]["arena_bytes"] for t in arena)
assert 0 < plan["memory"]["arena_bytes"] < plan["memory"]["naive_bytes"], plan["memory"]
' "$work/inspect.json"
"$kiln" inspect "$work/tiny.plan" --format dot >"$work/plan.dot"
check "inspect --format dot starts with 'digraph'" grep -q "^digraph" <(head -n 1 "$work/plan.dot")
if command -v dot >/dev/null; then
  check "dot renders the graph" dot -Tsvg "$work/plan.dot" -o "$work/plan.svg"
else
  echo "(Graphviz 'dot' is not installed: not rendering)"
fi
expect_error "inspect --format of another kind" "--format must be text, json or dot" \
  "$kiln" inspect "$work/tiny.plan" --format yaml

echo "== bad plan files"
bytes=$(stat -c %s "$work/tiny.plan")
head -c $((bytes / 2)) "$work/tiny.plan" >"$work/truncated.plan"
expect_error "truncated plan" "truncated.plan: truncated" "$kiln" run "$work/truncated.plan"
"$py" -c 'import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x10
open(sys.argv[2], "wb").write(data)' "$work/tiny.plan" "$work/flipped.plan"
expect_error "one flipped byte" "flipped.plan: checksum mismatch" "$kiln" run "$work/flipped.plan"
echo "this is not a plan" >"$work/text.plan"
expect_error "a text file named .plan (run)" "text.plan: not a kiln plan" "$kiln" run "$work/text.plan"
expect_error "a text file named .plan (inspect)" "text.plan: not a kiln plan" "$kiln" inspect "$work/text.plan"
expect_error "a missing plan" "nowhere.plan: cannot open" "$kiln" run "$work/nowhere.plan"
cp "$work/tiny.plan" "$work/newer.plan"
printf '\x04\x00\x00\x00' | dd of="$work/newer.plan" bs=1 seek=8 conv=notrunc status=none  # u32 format version
expect_error "newer format version (run)" "newer.plan: plan format 4 is newer than this kiln reads \(3\)" \
  "$kiln" run "$work/newer.plan"
expect_error "newer format version (inspect)" "plan format 4 is newer" "$kiln" inspect "$work/newer.plan"
cp "$work/tiny.plan" "$work/older.plan"
printf '\x01\x00\x00\x00' | dd of="$work/older.plan" bs=1 seek=8 conv=notrunc status=none
expect_error "older format version" "older.plan: plan format 1 was written by an older kiln \(this one reads 3\); rebuild" \
  "$kiln" run "$work/older.plan"

# Built with a copy of the reference pack under a name of its own, which is then deleted: nothing else in the
# search path can stand in for it.
mkdir -p "$work/packs" "$work/empty"
cp "$reference_pack" "$work/packs/libkiln_ref_copy.so"
printf 'plugins: [./libkiln_ref_copy.so]\n' >"$work/packs/copy.yaml"
check "build with a copy of the reference pack" \
  "$kiln" build "$model" --config "$work/packs/copy.yaml" -o "$work/copy.plan"
rm "$work/packs/libkiln_ref_copy.so"
expect_error "missing plugin" \
  "copy.plan: the plan needs plugin kiln\.cpu_reference [0-9]+\.[0-9]+\.[0-9]+ .*libkiln_ref_copy\.so.*missing" \
  env KILN_PLUGIN_PATH="$work/empty" "$kiln" run "$work/copy.plan"

# One plugin name in several versions (ABI 1.4 ranges): a plan built with 1.0.0 runs with 1.1.0, which declares
# that it runs plans from 1.0.0 on, and is refused by 2.0.0, whose serialized state changed in 2.0.0.
mkdir -p "$work/versioned"
cp "$test_plugins/libkiln_test_versioned_a.so" "$work/versioned/libkiln_test_versioned.so"
printf 'plugins: [./libkiln_test_versioned.so]\n' >"$work/versioned/cfg.yaml"
check "build with kiln.test.versioned 1.0.0" \
  "$kiln" build "$work/scale.onnx" --config "$work/versioned/cfg.yaml" -o "$work/scale.plan"
npy "$work/x23.npy" 2 3
check "run it with 1.0.0" run_to "$work/scale1" "$work/scale.plan" --input x="$work/x23.npy"
cp "$test_plugins/libkiln_test_versioned_a1.so" "$work/versioned/libkiln_test_versioned.so"
check "kiln plugins gives 1.1.0's range" grep -Fq "kiln.test.versioned 1.1.0  (ABI 1.4, 1 kernels, runs plans of 1.0.0 to 1.1.0)" \
  <("$kiln" plugins --plugin "$work/versioned/libkiln_test_versioned.so")
check "run it with 1.1.0, which runs plans from 1.0.0 on" \
  run_to "$work/scale11" "$work/scale.plan" --input x="$work/x23.npy"
check "... with the same outputs" same_outputs "$work/scale1" "$work/scale11"
cp "$test_plugins/libkiln_test_versioned_b.so" "$work/versioned/libkiln_test_versioned.so"
expect_error "2.0.0, whose state changed in 2.0.0, refuses it" \
  "scale\.plan: the plan was built with kiln\.test\.versioned 1\.0\.0; the loaded library [^ ]*/versioned/libkiln_test_versioned\.so is version 2\.0\.0, which runs plans from 2\.0\.0 on \(its serialized state changed in 2\.0\.0\): rebuild the plan with this plugin or install version 1\.0\.0" \
  "$kiln" run "$work/scale.plan"

echo "== two packs, one op"
# Packs a (x3) and b (x5) both offer kiln.test::Scale: the config's preference list picks one, then the other,
# and the plan (inspect) and the outputs say which ran.
for pick in a b; do
  other=b factor=3
  [[ $pick == b ]] && other=a factor=5
  printf 'plugins: [%s, %s]\nkernels:\n  kiln.test::Scale: [kiln.test.pack_%s.*, kiln.test.pack_%s.*]\n' \
    "$test_plugins/libkiln_test_pack_a.so" "$test_plugins/libkiln_test_pack_b.so" "$pick" "$other" >"$work/packs_$pick.yaml"
  check "prefer pack $pick: build" "$kiln" build "$work/scale.onnx" --config "$work/packs_$pick.yaml" -o "$work/packs_$pick.plan"
  check "prefer pack $pick: inspect names kiln.test.pack_$pick.Scale" \
    grep -Eq " kiln\.test\.pack_$pick\.Scale \(kiln\.test\.pack_$pick 1\.0\.0\)" <("$kiln" inspect "$work/packs_$pick.plan")
  check "prefer pack $pick: run" run_to "$work/packs_$pick" "$work/packs_$pick.plan" --input x="$work/x23.npy"
  check "prefer pack $pick: y = $factor x" "$py" -c 'import sys, numpy as np
x, y = np.load(sys.argv[1]), np.load(sys.argv[2])
assert np.array_equal(y, np.float32(sys.argv[3]) * x), (x, y)' "$work/x23.npy" "$work/packs_$pick/y.npy" "$factor"
done

echo "== dynamic shapes"
cat >"$work/profile.yaml" <<EOF
plugins: [kiln_cpu_reference]
profile:
  input: {min: [1, 3, 64, 64], opt: [2, 3, 64, 64], max: [4, 3, 64, 64]}
EOF
check "build tiny_cnn with a batch profile 1..4" \
  "$kiln" build "$work/tiny_dyn.onnx" --config "$work/profile.yaml" -o "$work/dyn.plan"
check "inspect shows the profile" grep -Eq "^profile +input: min \[1,3,64,64\] opt \[2,3,64,64\] max \[4,3,64,64\]" \
  <("$kiln" inspect "$work/dyn.plan")
for batch in 1 3 4; do
  npy "$work/xb$batch.npy" "$batch" 3 64 64
  check "batch $batch: run the plan" run_to "$work/dyn$batch" "$work/dyn.plan" --input input="$work/xb$batch.npy"
  check "batch $batch: run the ONNX model" \
    run_to "$work/dynonnx$batch" "$work/tiny_dyn.onnx" --config "$work/profile.yaml" --input input="$work/xb$batch.npy"
  check "batch $batch: plan and ONNX outputs are byte-identical" same_outputs "$work/dyn$batch" "$work/dynonnx$batch"
  if ((have_ort)); then
    check "batch $batch: plan matches onnxruntime" matches_ort "$work/tiny_dyn.onnx" "$work/xb$batch.npy" "$work/dyn$batch"
  fi
done
((have_ort)) || echo "(python3 has no onnxruntime: compared with kiln's ONNX path only)"
check "random inputs take the profile's opt shape" run_to "$work/dynrandom" "$work/dyn.plan"
check "... which is [2,3,64,64]" grep -Eq "^input +input +float32\[2,3,64,64\] \(random" "$work/dynrandom.log"
npy "$work/xb5.npy" 5 3 64 64
expect_error "batch 5 is outside the profile" \
  "input 'input': shape \[5,3,64,64\] is outside the profile .*from \[1,3,64,64\] to \[4,3,64,64\]" \
  "$kiln" run "$work/dyn.plan" --input input="$work/xb5.npy"
printf 'plugins: [kiln_cpu_reference]\nprofile:\n  image: {min: [1, 3, 64, 64], max: [4, 3, 64, 64]}\n' \
  >"$work/bad_profile.yaml"
expect_error "a profile naming no input" "bad_profile.yaml:3:10: the profile names 'image', which is not an input" \
  "$kiln" build "$work/tiny_dyn.onnx" --config "$work/bad_profile.yaml" -o "$work/bad.plan"
expect_error "a profile the model's fixed dims exclude" "dim 0 is fixed to 1 by the model" \
  "$kiln" build "$model" --config "$work/profile.yaml" -o "$work/bad.plan"

echo "== streams"
npy "$work/xt.npy" 1 8 16 16
for streams in 1 4; do
  printf 'plugins: [kiln_cpu_reference]\nstreams: %d\n' "$streams" >"$work/streams$streams.yaml"
  for name in tiny towers; do
    onnx_model=$model input=$work/x1.npy
    [[ $name == towers ]] && onnx_model=$work/towers.onnx input=$work/xt.npy
    check "$name: build with streams: $streams" \
      "$kiln" build "$onnx_model" --config "$work/streams$streams.yaml" -o "$work/$name.s$streams.plan"
    check "$name: run with streams: $streams" \
      run_to "$work/$name.s$streams" "$work/$name.s$streams.plan" --input input="$input"
  done
done
for name in tiny towers; do
  check "$name: 4 streams and 1 stream give byte-identical outputs" same_outputs "$work/$name.s4" "$work/$name.s1"
  "$kiln" inspect "$work/$name.s4.plan" >"$work/$name.s4.txt"
  streams=$(sed -nE 's/^streams +([0-9]+), ([0-9]+) cross-stream wait.*/\1/p' "$work/$name.s4.txt")
  waits=$(grep -cE "^ +layer [0-9]+ waits for layer [0-9]+" "$work/$name.s4.txt" || true)
  if [[ ${streams:-0} -gt 1 && $waits -gt 0 ]] && grep -qE " stream [1-9]" "$work/$name.s4.txt"; then
    pass "$name: inspect shows $streams streams and $waits waits"
  else
    fail "$name: inspect shows '${streams}' streams and $waits waits"; cat "$work/$name.s4.txt"
  fi
  check "$name: one stream, no waits" grep -Eq "^streams +1, 0 cross-stream wait" <("$kiln" inspect "$work/$name.s1.plan")
done
if ((have_ort)); then
  check "towers: 4 streams match onnxruntime" matches_ort "$work/towers.onnx" "$work/xt.npy" "$work/towers.s4"
fi

finish
