#!/usr/bin/env bash
# Bad input through the CLI: each case must exit 1 (an error, not a crash) with a message naming the problem.
set -euo pipefail
kiln=$(realpath "$1")
src=$(realpath "$2")
build=$(dirname "$(dirname "$kiln")")
plugins="$build/test_plugins"
source "$src/tests/cli/lib.sh"  # $work, expect_error, finish

/usr/bin/python3 - "$work" <<'PY' || { echo "FAIL: could not write the test models"; exit 1; }
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
w = sys.argv[1]
def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
onnx.save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y]), f"{w}/relu.onnx")
onnx.save(model([helper.make_node("Frobnicate", ["x"], ["y"], name="mystery")], [x], [y]), f"{w}/unknown_op.onnx")
bad = TensorProto(name="b", data_type=TensorProto.FLOAT, dims=[2, 3])
bad.float_data.extend([1.0, 2.0])  # 2 values for a [2,3] tensor
onnx.save(model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x], [y], [bad]), f"{w}/bad_init.onnx")
onnx.save(model([helper.make_node("Add", ["x", "c"], ["b"], name="first"), helper.make_node("Relu", ["b"], ["c"], name="second"),
                 helper.make_node("Relu", ["c"], ["y"], name="out")], [x], [y]), f"{w}/cycle.onnx")
os.makedirs(f"{w}/m", exist_ok=True)
ext = TensorProto(name="b", data_type=TensorProto.FLOAT, dims=[2, 3])
ext.data_location = TensorProto.EXTERNAL
for k, v in (("location", "../secret.bin"), ("offset", "0"), ("length", "24")):
    e = ext.external_data.add(); e.key = k; e.value = v
onnx.save(model([helper.make_node("Add", ["x", "b"], ["y"], name="add")], [x], [y], [ext]), f"{w}/m/escape.onnx")
open(f"{w}/secret.bin", "wb").write(bytes(24))
thrower = model([helper.make_node("Throw", ["x"], ["y"], name="boom", domain="kiln.test")], [x], [y])
thrower.opset_import.append(helper.make_opsetid("kiln.test", 1))
onnx.save(thrower, f"{w}/throws.onnx")
data = open(f"{w}/relu.onnx", "rb").read()
open(f"{w}/truncated.onnx", "wb").write(data[: len(data) // 2])
open(f"{w}/text.onnx", "w").write("this is not a model\n")
np.save(f"{w}/x23.npy", np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32))
np.save(f"{w}/x24.npy", np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32))
nan = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
nan[1, 2] = np.nan
os.makedirs(f"{w}/calib_nan", exist_ok=True)
np.save(f"{w}/calib_nan/b0.npy", nan)
os.makedirs(f"{w}/calib_empty", exist_ok=True)
two = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3])
onnx.save(model([helper.make_node("Add", ["x", "z"], ["y"], name="add")], [x, two], [y]), f"{w}/two_inputs.onnx")
PY

cfg="$src/configs/cpu.yaml"
printf 'plugin:\n  - kiln_cpu_reference\n' >"$work/typo.yaml"
printf 'plugins:\n  - kiln_no_such_pack\n' >"$work/missing_plugin.yaml"
printf 'plugins: [kiln_cpu_reference]\nkernels:\n  Cnv: [kiln.cpu_ref.*]\n' >"$work/op_typo.yaml"
printf 'plugins: [kiln_cpu_reference]\nkernels:\n  Conv: [kiln.cpu_ref.Cnv]\n' >"$work/kernel_typo.yaml"
printf 'plugins:\n  - %s\n' "$src/CMakeLists.txt" >"$work/not_a_plugin.yaml"
printf 'plugins:\n  - %s\n' "$plugins/libkiln_test_wrong_abi.so" >"$work/wrong_abi.yaml"
printf 'plugins:\n  - %s\n' "$plugins/libkiln_test_throwing.so" >"$work/throwing.yaml"
int8() { printf 'plugins: [kiln_cpu_reference]\nprecision: int8\ncalibration: {%s}\n' "$2" >"$work/$1.yaml"; }
int8 calib_missing "data: no_such_folder"
int8 calib_empty "data: calib_empty"
int8 calib_shape "data: x24.npy"
int8 calib_nan "data: calib_nan"
int8 calib_two "data: x23.npy"
printf '# kiln calibration cache v1 method=minmax\ny: 0.5\n' >"$work/minmax.calib"
int8 calib_method "cache: minmax.calib, method: entropy"
printf '# kiln calibration cache v1 method=entropy\ny 0.5\n' >"$work/broken.calib"
int8 calib_broken "cache: broken.calib"

expect_error "truncated model"       "truncated.onnx.*(not a valid ONNX|parse)" "$kiln" run "$work/truncated.onnx" --config "$cfg"
expect_error "not an ONNX file"      "text.onnx.*(not a valid ONNX|parse)"      "$kiln" run "$work/text.onnx" --config "$cfg"
expect_error "unknown op"            "mystery.*Frobnicate.*kiln.cpu_reference"  "$kiln" run "$work/unknown_op.onnx" --config "$cfg"
expect_error "wrong input shape"     "input 'x'.*float32\[2,3\].*float32\[2,4\]" "$kiln" run "$work/relu.onnx" --config "$cfg" --input x="$work/x24.npy"
expect_error "unknown input name"    "'nope' is not an input"                  "$kiln" run "$work/relu.onnx" --config "$cfg" --input nope="$work/x23.npy"
expect_error "initializer size"      "initializer 'b'.*2 values.*\\[2,3\\].* 6"                              "$kiln" run "$work/bad_init.onnx" --config "$cfg"
expect_error "graph cycle"           "has a cycle"                                "$kiln" run "$work/cycle.onnx" --config "$cfg"
expect_error "external data escape"  "'\\.\\./secret.bin' escapes the model's folder"               "$kiln" run "$work/m/escape.onnx" --config "$cfg"
expect_error "config key typo"       "typo.yaml:1:1.*plugin.*did you mean 'plugins'" "$kiln" run "$work/relu.onnx" --config "$work/typo.yaml"
expect_error "config op typo"        "op_typo.yaml:3:3: no loaded kernel implements op 'Cnv'.*did you mean 'Conv'" "$kiln" run "$work/relu.onnx" --config "$work/op_typo.yaml"
expect_error "config kernel typo"    "kernel_typo.yaml:3:10: no loaded kernel matches 'kiln.cpu_ref.Cnv'.*kiln.cpu_ref.Conv" "$kiln" run "$work/relu.onnx" --config "$work/kernel_typo.yaml"
expect_error "missing config"        "nowhere.yaml"                            "$kiln" run "$work/relu.onnx" --config "$work/nowhere.yaml"
expect_error "missing plugin"        "missing_plugin.yaml:2:.*libkiln_no_such_pack.so" "$kiln" run "$work/relu.onnx" --config "$work/missing_plugin.yaml"
expect_error "not a plugin"          "CMakeLists.txt.*cannot load plugin library" "$kiln" run "$work/relu.onnx" --config "$work/not_a_plugin.yaml"
expect_error "plugin of another ABI" "ABI 2.0.*ABI 1\.[0-9]+"                   "$kiln" run "$work/relu.onnx" --config "$work/wrong_abi.yaml"
expect_error "plugin that throws"     "node 'boom'.*kiln.test.thrower.*threw on purpose" "$kiln" run "$work/throws.onnx" --config "$work/throwing.yaml"
expect_error "missing input file"    "nothing.npy"                             "$kiln" run "$work/relu.onnx" --config "$cfg" --input x="$work/nothing.npy"
expect_error "calibration data missing" "no_such_folder: calibration data not found" "$kiln" build "$work/relu.onnx" --config "$work/calib_missing.yaml" -o "$work/x.plan"
expect_error "calibration folder empty" "calib_empty: the calibration folder holds no .npy files" "$kiln" build "$work/relu.onnx" --config "$work/calib_empty.yaml" -o "$work/x.plan"
expect_error "calibration batch shape" "x24.npy: calibration batch 1: .*input 'x'" "$kiln" build "$work/relu.onnx" --config "$work/calib_shape.yaml" -o "$work/x.plan"
expect_error "calibration NaN"       "b0.npy: value 'x'.*not finite \\(nan\\)" "$kiln" build "$work/relu.onnx" --config "$work/calib_nan.yaml" -o "$work/x.plan"
expect_error "calibration one path, two inputs" "calib_two.yaml:3:14: calibration.data is one path, but the model has 2 inputs" "$kiln" build "$work/two_inputs.onnx" --config "$work/calib_two.yaml" -o "$work/x.plan"
expect_error "calibration cache of another method" "minmax.calib: the calibration cache was made by minmax, the config asks for entropy" "$kiln" build "$work/relu.onnx" --config "$work/calib_method.yaml" -o "$work/x.plan"
expect_error "calibration cache malformed" "broken.calib:2:" "$kiln" build "$work/relu.onnx" --config "$work/calib_broken.yaml" -o "$work/x.plan"

finish
