#!/usr/bin/env bash
# The first command: install what is missing, build, and run the bundled default model on CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
echo
build/bin/kiln plugins --config configs/cpu.yaml | head -n 4
echo
build/bin/kiln run examples/models/tiny_cnn.onnx --config configs/cpu.yaml --iterations 50 --warmup 5
