#!/usr/bin/env python3
"""com.example::LayerScale through an installed kiln: small ONNX models run with `kiln run` (and built into plan
files, run again), outputs compared with numpy in float64; the kernel chosen and the decline reasons checked in
`kiln run --verbose`.

  layer_scale_test.py --kiln KILN --plugin LIB.so --packs DIR --device cpu|cuda --work DIR

--device cuda selects the CUDA kernel (with the kiln_cuda pack, which brings the device) and exits 77, saying
why, where no GPU or no kiln_cuda pack is present. Exit 0: every case passed; 1: a case failed.
"""
import argparse
import ctypes
import os
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as error:
    sys.exit(f"FAIL: {sys.executable} lacks numpy or onnx ({error}); configure with -DPython3_EXECUTABLE=...")

SKIP = 77
failures = []


def make_model(path, shape, axis=None, gamma_constant=True, channels=None):
    """x -> Relu -> LayerScale(gamma) -> y; gamma an initializer, or a graph input when gamma_constant is False."""
    rank = len(shape)
    a = (1 if axis is None else axis) % rank
    channels = shape[a] if channels is None else channels
    gamma = np.random.default_rng(3).uniform(0.5, 2.0, channels).astype(np.float32)
    attributes = {} if axis is None else {"axis": axis}
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("LayerScale", ["r", "gamma"], ["y"], name="scale", domain="com.example", **attributes)]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)]
    initializers = []
    if gamma_constant:
        initializers.append(numpy_helper.from_array(gamma, "gamma"))
    else:
        inputs.append(helper.make_tensor_value_info("gamma", TensorProto.FLOAT, [channels]))
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    graph = helper.make_graph(nodes, "layer_scale", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
    onnx.save(model, path)
    return gamma, a


def kiln(args, *command):
    return subprocess.run([args.kiln, *command], capture_output=True, text=True)


def expect(ok, what, detail=""):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
        if detail:
            print("      " + detail.strip().replace("\n", "\n      "))


def compare(what, got_file, x, gamma, axis):
    shape = [1] * x.ndim
    shape[axis] = gamma.size
    expected = np.maximum(x.astype(np.float64), 0) * gamma.astype(np.float64).reshape(shape)
    got = np.load(got_file)
    error = float(np.abs(got - expected).max()) if got.shape == expected.shape else float("inf")
    expect(error <= 1e-6 * max(1.0, float(np.abs(expected).max())),
           f"{what}: max abs error vs numpy float64 {error:.3g}", f"shape {got.shape}, expected {expected.shape}")


def run_case(args, config, kernel, name, shape, axis):
    """A model run as ONNX and as a plan file, both against numpy; the layer must run on `kernel`."""
    model = os.path.join(args.work, f"{name}.onnx")
    gamma, a = make_model(model, shape, axis)
    x = np.random.default_rng(11).uniform(-3, 3, shape).astype(np.float32)
    np.save(os.path.join(args.work, f"{name}_x.npy"), x)
    feed = ["--input", f"x={os.path.join(args.work, name + '_x.npy')}", "--iterations", "2"]

    out = os.path.join(args.work, f"{name}_onnx")
    result = kiln(args, "run", model, "--config", config, *feed, "--output-dir", out, "--verbose")
    described = f"X {shape}, axis {'1 (default)' if axis is None else axis}"
    expect(result.returncode == 0, f"{name}: kiln run, {described}", result.stdout + result.stderr)
    if result.returncode != 0:
        return
    chosen = [line for line in result.stdout.splitlines() if line.startswith("layer  scale ")]
    expect(bool(chosen) and chosen[0].rstrip().split("-> ")[1].startswith(kernel + " "),
           f"{name}: the LayerScale layer runs on {kernel}", "\n".join(chosen) or result.stdout)
    compare(f"{name} (ONNX)", os.path.join(out, "y.npy"), x, gamma, a)

    plan = os.path.join(args.work, f"{name}.plan")
    result = kiln(args, "build", model, "--config", config, "-o", plan)
    expect(result.returncode == 0, f"{name}: kiln build", result.stdout + result.stderr)
    out = os.path.join(args.work, f"{name}_plan")
    result = kiln(args, "run", plan, *feed, "--output-dir", out)
    expect(result.returncode == 0, f"{name}: kiln run of the plan (serialized state)", result.stdout + result.stderr)
    if result.returncode == 0:
        compare(f"{name} (plan)", os.path.join(out, "y.npy"), x, gamma, a)
    result = kiln(args, "inspect", plan)
    expect(result.returncode == 0 and kernel in result.stdout and "com.example.layer_scale 1.0.0" in result.stdout,
           f"{name}: kiln inspect names {kernel} and the pack", result.stdout + result.stderr)


def expect_declined(args, config, name, reason, **model):
    """A node the kernels decline: the build fails, naming each kernel and why."""
    path = os.path.join(args.work, f"{name}.onnx")
    make_model(path, **model)
    result = kiln(args, "run", path, "--config", config, "--iterations", "1")
    expect(result.returncode == 1 and "com.example.cpu.LayerScale: " + reason in result.stderr,
           f"{name}: declined with '{reason}'", result.stdout + result.stderr)


def no_gpu_reason():
    """Why the CUDA kernel cannot run here, or None: the driver is asked how many GPUs there are."""
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError as error:
        return f"no NVIDIA driver ({error})"
    status = driver.cuInit(0)
    count = ctypes.c_int(0)
    if status != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value == 0:
        return f"the driver sees no GPU (cuInit status {status}, {count.value} devices)"
    return None


def write_config(args, name, text):
    path = os.path.join(args.work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kiln", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--packs", required=True, help="the installed kiln's plugin folder")
    parser.add_argument("--device", choices=["cpu", "cuda"], required=True)
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    if args.device == "cuda":
        reason = no_gpu_reason()
        if reason:
            print(f"SKIP: no GPU: {reason}; the CUDA kernel runs only where one is")
            return SKIP
        if not os.path.exists(os.path.join(args.packs, "libkiln_cuda.so")):
            print(f"SKIP: {args.packs} has no libkiln_cuda.so: kiln was installed without its CUDA pack, which "
                  "brings the device this kernel runs on")
            return SKIP
        config = write_config(args, "cuda.yaml", f"""device: cuda
plugins: [kiln_cuda, kiln_cpu_reference, {args.plugin}]
kernels:
  com.example::LayerScale: [com.example.cuda.LayerScale]
  "*": [kiln.cuda.*, kiln.cpu_ref.*]
""")
        kernel = "com.example.cuda.LayerScale"
    else:
        config = write_config(args, "cpu.yaml", f"plugins: [kiln_cpu_reference, {args.plugin}]\n")
        kernel = "com.example.cpu.LayerScale"

    run_case(args, config, kernel, "nchw", [2, 3, 4, 5], None)
    run_case(args, config, kernel, "tokens", [2, 7, 16], -1)
    if args.device == "cpu":
        expect_declined(args, config, "bad_axis", "axis 3 names no dim of X, which has 3", shape=[2, 7, 16], axis=3)
        expect_declined(args, config, "computed_gamma", "gamma ('gamma') is computed", shape=[2, 7, 16], axis=-1,
                        gamma_constant=False)
        expect_declined(args, config, "wrong_length", "gamma has 5 values, but dim 2 of X is 16", shape=[2, 7, 16],
                        axis=2, channels=5)

    print(f"{len(failures)} failure(s)" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
