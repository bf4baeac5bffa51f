#!/usr/bin/env bash
# Installs what kiln needs from Debian's packages (and, with --test, the Python test oracles from pip).
# Idempotent: installs only what is missing.
set -euo pipefail

packages=(cmake g++ make pkg-config libonnx-dev libprotobuf-dev protobuf-compiler libyaml-cpp-dev libboost-dev
          libgtest-dev libbenchmark-dev python3-numpy python3-onnx)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3-torchvision python3-sklearn clang)  # clang: the fuzzers, and a pack built by a second compiler
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "kiln: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -eq 0 ]] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  # onnxruntime is the oracle for whole-model tests; it and the input generator run under the python3 on PATH.
  if ! python3 -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
    echo "kiln: installing onnxruntime, onnx and numpy with pip"
    python3 -m pip install -q onnxruntime onnx numpy
  fi
fi
