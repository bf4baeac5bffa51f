#!/usr/bin/env bash
# Whole-model correctness: exports real models from PyTorch (cached outside the repo), runs each through
# onnxruntime (the oracle) and through `kiln run` on the CPU reference pack, and requires relative L2 error
# below 1e-4 on every output. Exits 77 (skipped, with the reason) when the Python oracles are missing.
set -euo pipefail
src=${KILN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
kiln=${KILN:-$src/build/bin/kiln}
cache=${KILN_MODEL_CACHE:-$HOME/.cache/kiln/models}
models=${KILN_MODELS:-resnet50 googlenet mobilenet_v2 squeezenet1_1 densenet121 shufflenet_v2_x1_0 bert_encoder}

if ! /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  echo "SKIPPED: /usr/bin/python3 lacks torch/torchvision (apt-get install python3-torchvision)"; exit 77
fi
if ! python3 -c "import onnxruntime, numpy" 2>/dev/null; then
  echo "SKIPPED: python3 lacks onnxruntime (python3 -m pip install onnxruntime)"; exit 77
fi

mkdir -p "$cache"
/usr/bin/python3 "$src/scripts/models/export_models.py" --cache "$cache" $models
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for m in $models; do
  ort_dir="$cache/$m.ort"
  [[ -d "$ort_dir" ]] || python3 "$src/scripts/models/ort_reference.py" "$cache/$m.onnx" "$cache/$m.input.npy" "$ort_dir"
  if ! "$kiln" run "$cache/$m.onnx" --config "$src/configs/cpu.yaml" --input input="$cache/$m.input.npy" \
      --output-dir "$work/$m" --iterations 1 --warmup 0 > "$work/$m.log" 2>&1; then
    echo "FAIL $m: kiln run failed:"; cat "$work/$m.log"; failed=$((failed + 1)); continue
  fi
  grep -E "^(model|latency)" "$work/$m.log" | sed "s/^/  $m: /"
  python3 "$src/tests/models/compare_outputs.py" "$work/$m" "$ort_dir" --threshold 1e-4 --label "$m" || failed=$((failed + 1))
done
echo "$(( $(wc -w <<< "$models") - failed )) passed, $failed failed"
exit $(( failed > 0 ))
