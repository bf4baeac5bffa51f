#!/usr/bin/env bash
# INT8 against FP32 on the CPU reference pack (exact integer INT8): torchvision's ResNet-50 and GoogLeNet (random
# weights: no downloads), calibrated by each method on 4 random images, compared on 8 others: relative L2 of
# the logits and top-1 agreement. Minutes on 2 cores. The GPU figures come from benchmarks/gpu/int8_compare.py.
#
#   benchmarks/int8_error_cpu.sh [--bn-matched] [KILN] [WORK_DIR]   (defaults: build/bin/kiln, a temporary folder)
#
# --bn-matched: before the export, each BatchNormalization's running mean and variance are set to the statistics
# of its own input over 32 random images (as training leaves them), so that every block's output is normalised
# as in a trained network. With torchvision's initialisation alone, activations grow through ResNet-50's residual
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

BN_MATCHED=$bn_matched /usr/bin/python3 - <<'PY'
import os, numpy as np, torch, torchvision
torch.manual_seed(0)
for name in ["resnet50", "googlenet"]:
    extra = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    m = getattr(torchvision.models, name)(weights=None, **extra)
    if os.environ["BN_MATCHED"] == "1":
        for bn in (x for x in m.modules() if isinstance(x, torch.nn.BatchNorm2d)):
            bn.reset_running_stats()
            bn.momentum = None  # a cumulative average over the batches below
        m.train()
        with torch.no_grad():
            for _ in range(4):
                m(torch.randn(8, 3, 224, 224))
    m.eval()
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
for m in ("minmax", "entropy", "percentile"):
    rel, agree = [], 0
    for i in range(8):
        a = np.load(f"out-{model}-fp32-{i}/output.npy").astype(np.float64)
        b = np.load(f"out-{model}-{m}-{i}/output.npy").astype(np.float64)
        rel.append(np.linalg.norm(a - b) / np.linalg.norm(a))
        agree += int(a.argmax() == b.argmax())
    print(f"{model:10s} {m:10s} rel L2 median {np.median(rel):.4f} max {max(rel):.4f}  top-1 agreement {agree}/8")
PY
done
