#!/usr/bin/env bash
# INT8 against FP32 on the CPU reference pack (exact integer INT8): torchvision's ResNet-50 and GoogLeNet (random
# weights: no downloads), calibrated by each method on 4 random images, compared on 8 others: relative L2 of
# the logits and top-1 agreement. Minutes on 2 cores. The GPU figures come from benchmarks/gpu/int8_compare.py.
#
#   benchmarks/int8_error_cpu.sh [--bn-matched] [KILN] [WORK_DIR]   (defaults: build/bin/kiln, a temporary folder)
#
# --bn-matched: before the export, each BatchNormalization's running mean and variance are set to the statistics
# of its own input over 32 random images (as training leaves them; benchmarks/gpu/pytorch_baseline.py, the same
# models the GPU benchmark exports), so that every block's output is normalised as in a trained network. With torchvision's initialisation alone, activations grow through ResNet-50's residual
# blocks and shrink through GoogLeNet until its logits are the classifier's bias: the error then says more about
# the random weights than about the quantization.
set -euo pipefail
bn_matched=0
if [[ ${1:-} == --bn-matched ]]; then bn_matched=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
kiln=$(realpath "${1:-$root/build/bin/kiln}")
work=${2:-$(mktemp -d "${TMPDIR:-/tmp}/kiln-int8-cpu.XXXXXX")}
mkdir -p "$work" && cd "$work"
echo "work folder $work (BatchNormalization statistics matched: $bn_matched)"

BN_MATCHED=$bn_matched KILN_ROOT=$root /usr/bin/python3 - <<'PY'
import os, sys, numpy as np, torch
sys.path.insert(0, os.path.join(os.environ["KILN_ROOT"], "benchmarks/gpu"))
from pytorch_baseline import build_model  # the models (and BatchNormalization matching) the GPU benchmark exports
torch.manual_seed(0)
for name in ["resnet50", "googlenet"]:
    m = build_model(name, os.environ["BN_MATCHED"] == "1")
    torch.onnx.export(m, torch.randn(1, 3, 224, 224), f"{name}.onnx", input_names=["input"], output_names=["output"],
                      opset_version=17)
os.makedirs("calib", exist_ok=True)
for i in range(4):
    np.save(f"calib/b{i}.npy", np.random.default_rng(100 + i).standard_normal((1, 3, 224, 224)).astype(np.float32))
for i in range(8):
    np.save(f"eval{i}.npy", np.random.default_rng(200 + i).standard_normal((1, 3, 224, 224)).astype(np.float32))
PY

for model in resnet50 googlenet; do
  "$kiln" build $model.onnx --config "$root/configs/cpu.yaml" -o $model-fp32.plan >/dev/null
  for m in minmax entropy percentile; do
    printf 'plugins: [kiln_cpu_reference]\nprecision: int8\ncalibration: {data: calib, method: %s, cache: %s.calib}\n' \
      "$m" "$model-$m" >$model-$m.yaml
    "$kiln" build $model.onnx --config $model-$m.yaml -o $model-$m.plan | grep -E "^precision" | sed "s/^/$model $m: /"
  done
  for i in $(seq 0 7); do
    for p in fp32 minmax entropy percentile; do
      "$kiln" run $model-$p.plan --input input=eval$i.npy --output-dir out-$model-$p-$i --iterations 1 --warmup 0 >/dev/null
    done
  done
  python3 - "$model" <<'PY'
import sys, numpy as np
model = sys.argv[1]
def logits(plan):
    return np.stack([np.load(f"out-{model}-{plan}-{i}/output.npy").astype(np.float64).ravel() for i in range(8)])

a = logits("fp32")
# Centred over the 8 images: what depends on the image (random weights give logits mostly alike for all of them;
# with torchvision's initialisation GoogLeNet's do not depend on the image at all, and there is nothing to compare).
a_centred = a - a.mean(axis=0)
spread = np.linalg.norm(a_centred)
for m in ("minmax", "entropy", "percentile"):
    b = logits(m)
    rel = np.linalg.norm(b - a, axis=1) / np.linalg.norm(a, axis=1)
    centred = (f"{np.linalg.norm((b - b.mean(axis=0)) - a_centred) / spread:.4f}"
               if spread > 1e-6 * np.linalg.norm(a) else "- (FP32's logits do not depend on the image)")
    agree = int((a.argmax(axis=1) == b.argmax(axis=1)).sum())
    print(f"{model:10s} {m:10s} rel L2 median {np.median(rel):.4f} max {rel.max():.4f}  centred {centred}  "
          f"top-1 agreement {agree}/8")
PY
done
