#!/usr/bin/env bash
# Installs kiln to a temporary prefix, builds examples/swish_plugin against the installed SDK package
# (find_package(KilnPluginSDK)), and runs a model that uses com.example::Swish through `kiln run`,
# checking the output against numpy.
set -euo pipefail
build=$1
src=$2
source "$(dirname "$0")/lib.sh"
sdk_start "$build"

sdk_build "$src/examples/swish_plugin" "$work/swish"
plugin="$work/swish/libcom_example_swish.so"
sdk_only_entry "$plugin"

/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto
work = sys.argv[1]
nodes = [helper.make_node("Relu", ["x"], ["r"]),
         helper.make_node("Swish", ["r"], ["y"], domain="com.example", beta=1.5)]
graph = helper.make_graph(nodes, "swish", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
onnx.save(model, f"{work}/swish.onnx")
np.save(f"{work}/x.npy", np.random.default_rng(7).uniform(-3, 3, (2, 8)).astype(np.float32))
PY

cat > "$work/config.yaml" <<YAML
plugins:
  - kiln_cpu_reference
  - $plugin
YAML

# The installed kiln finds the reference pack in its own plugin folder.
"$prefix/bin/kiln" plugins --plugin "$plugin" | grep -q "com.example.swish"
"$prefix/bin/kiln" run "$work/swish.onnx" --config "$work/config.yaml" --input x="$work/x.npy" \
  --output-dir "$work/out" --iterations 3 --verbose

/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
x = np.load(f"{work}/x.npy").astype(np.float64)
r = np.maximum(x, 0)
expected = r / (1 + np.exp(-1.5 * r))
got = np.load(f"{work}/out/y.npy")
err = np.abs(got - expected).max()
print(f"com.example::Swish max abs error vs numpy float64: {err:.3g}")
sys.exit(0 if err < 1e-5 else 1)
PY
echo "PASS: out-of-tree plugin built against the installed SDK and ran"
