#!/usr/bin/env bash
# Installs kiln to a temporary prefix, copies examples/plugin-template out of the source tree, builds it against
# the installed SDK package (its CUDA kernel too, where the CUDA toolkit is found), checks that it exports only
# its entry symbol and that `kiln plugins` lists its kernels, and runs the template's own tests (ctest).
set -euo pipefail
build=$1
src=$2
source "$(dirname "$0")/lib.sh"
sdk_start "$build"

# Where the CUDA toolkit is, the CUDA kernel must build.
kernels=(com.example.cpu.LayerScale)
cuda=()
nvcc=$(command -v nvcc || true)
if [[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]]; then nvcc=/usr/local/cuda/bin/nvcc; fi
if [[ -n "$nvcc" ]]; then
  kernels+=(com.example.cuda.LayerScale)
  cuda=(-DCMAKE_CUDA_COMPILER="$nvcc")
fi

cp -r "$src/examples/plugin-template" "$work/template"
rm -rf "$work/template/build"
sdk_build "$work/template" "$work/build" -DPython3_EXECUTABLE=/usr/bin/python3 "${cuda[@]}"
plugin="$work/build/libcom_example_layer_scale.so"
sdk_only_entry "$plugin"

listing=$("$prefix/bin/kiln" plugins --plugin "$plugin")
echo "$listing"
for kernel in "${kernels[@]}"; do
  grep -q " $kernel " <<<"$listing" || { echo "FAIL: kiln plugins does not list $kernel"; exit 1; }
done

(cd "$work/build" && ctest --output-on-failure)
grep -h "^SKIP" "$work/build/Testing/Temporary/LastTest.log" || true  # a skipped test says why
echo "PASS: the plugin template, copied out of the tree, built against the installed kiln (${kernels[*]})" \
  "and passed its tests"
