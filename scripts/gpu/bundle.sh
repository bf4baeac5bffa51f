#!/usr/bin/env bash
# Packs a CUDA build of kiln for the lent GPU machine (Ubuntu 24.04, CUDA 13, cuDNN 9, protobuf .so.32; no
# yaml-cpp, no libonnx, no Boost libraries). Called by scripts/gpu-check; usable alone after a build:
#
#   scripts/gpu/bundle.sh [BUILD_DIR=build-gpu] [BUNDLE=gpu-bundle]
#
# BUNDLE mirrors the build tree, so bin/kiln finds ../lib/kiln/plugins there as it does here:
#   bin/                 kiln, kiln-conformance, kiln_cuda_tests (when built)
#   lib/                 libkiln_core.so and every shared library those need that the GPU machine lacks (ldd)
#   lib/kiln/plugins/    the operator packs
#   test_plugins/        the test plugins, when built (unit tests look for them there)
#   onnx-tests/          ONNX node tests whose every op the CUDA pack offers (scripts/gpu/pick_tests.py)
#   BUILD_INFO           commit, date, and the absolute paths baked into the test binaries
#   LIBS.txt             which libraries were bundled, and which were left to the GPU machine
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD_DIR=${1:-build-gpu}
BUNDLE=${2:-gpu-bundle}
MAX_MIB=${KILN_GPU_BUNDLE_MAX_MIB:-60}
TESTS_MAX_MIB=${KILN_GPU_TESTS_MAX_MIB:-12}
ONNX_TESTS=${KILN_ONNX_TESTS_DIR:-../shared/onnx-tests}

die() { echo "bundle: $*" >&2; exit 1; }
[[ -x $BUILD_DIR/bin/kiln ]] || die "$BUILD_DIR/bin/kiln is missing: build first (scripts/gpu-check)"
[[ -f $BUILD_DIR/lib/kiln/plugins/libkiln_cuda.so ]] || die "$BUILD_DIR/lib/kiln/plugins/libkiln_cuda.so is missing: the CUDA pack was not built"
[[ $BUNDLE == gpu-bundle || $BUNDLE == /tmp/* ]] || die "refusing to overwrite $BUNDLE (gpu-bundle or /tmp/... only)"

echo "== bundle $BUILD_DIR -> $BUNDLE =="
rm -rf "$BUNDLE"
mkdir -p "$BUNDLE/bin" "$BUNDLE/lib/kiln/plugins"

elfs=()
for b in kiln kiln-conformance kiln_cuda_tests; do
  if [[ -x $BUILD_DIR/bin/$b ]]; then
    cp "$BUILD_DIR/bin/$b" "$BUNDLE/bin/"
    elfs+=("$BUNDLE/bin/$b")
  else
    echo "note: $BUILD_DIR/bin/$b not built (left out)"
  fi
done
for p in "$BUILD_DIR"/lib/kiln/plugins/*.so; do
  cp "$p" "$BUNDLE/lib/kiln/plugins/"
  elfs+=("$BUNDLE/lib/kiln/plugins/$(basename "$p")")
done
if [[ -d $BUILD_DIR/test_plugins && -x $BUNDLE/bin/kiln_cuda_tests ]]; then
  cp -r "$BUILD_DIR/test_plugins" "$BUNDLE/"
  while IFS= read -r -d '' p; do elfs+=("$p"); done < <(find "$BUNDLE/test_plugins" -name '*.so' -print0)
fi
# Release builds carry no debug info; strip any that a build type left in (keeps the symbol table).
for f in "${elfs[@]}"; do strip --strip-debug "$f" 2>/dev/null || true; done

# Libraries the GPU machine already has (Ubuntu 24.04 base, the CUDA 13 toolkit and driver, cuDNN 9,
# protobuf 3.21 as libprotobuf.so.32). Everything else that ldd resolves is copied under its SONAME.
present_there() {
  case "$1" in
    linux-vdso.so.*|ld-linux-x86-64.so.*|libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*) return 0 ;;
    libresolv.so.*|libutil.so.*|libgcc_s.so.*|libstdc++.so.*|libz.so.*) return 0 ;;
    libcuda.so.*|libcudart.so.*|libcublas.so.*|libcublasLt.so.*|libcudnn*.so.*|libnvrtc*.so.*|libnvJitLink.so.*) return 0 ;;
    libprotobuf.so.32|libprotobuf-lite.so.32) return 0 ;;
  esac
  return 1
}

declare -A copied=() left=() missing=()
pending=("${elfs[@]}")
while ((${#pending[@]})); do
  f=${pending[0]}; pending=("${pending[@]:1}")
  # "libfoo.so.1 => /path/libfoo.so.1 (0x...)", "libfoo.so.1 => not found", or a line without "=>".
  while read -r name arrow path _; do
    [[ $arrow == "=>" ]] || continue
    if present_there "$name"; then left[$name]=$path; continue; fi
    [[ -n ${copied[$name]:-} || -f $BUNDLE/lib/kiln/plugins/$name ]] && continue
    if [[ $path == not ]]; then missing[$name]=1; continue; fi
    cp -L "$path" "$BUNDLE/lib/$name"
    chmod u+w "$BUNDLE/lib/$name"
    strip --strip-debug "$BUNDLE/lib/$name" 2>/dev/null || true
    copied[$name]=$(readlink -f "$path")
    pending+=("$BUNDLE/lib/$name")  # ldd lists dependencies transitively; this only catches dlopen-free oddities
  done < <(ldd "$f" 2>/dev/null || true)
done
((${#missing[@]} == 0)) || die "ldd found no file for: ${!missing[*]}"

{
  echo "# bundled under $BUNDLE/lib (SONAME <- file here)"
  for n in $(printf '%s\n' "${!copied[@]}" | sort); do echo "$n <- ${copied[$n]}"; done
  echo "# left to the GPU machine"
  for n in $(printf '%s\n' "${!left[@]}" | sort); do echo "$n (${left[$n]} here)"; done
} >"$BUNDLE/LIBS.txt"

# ONNX node tests for the ops the CUDA pack offers. The op list comes from the built pack itself (the pack
# loads without a GPU: device_count() is 0 here); KILN_GPU_TEST_OPS overrides it.
ops=${KILN_GPU_TEST_OPS:-}
if [[ -z $ops ]]; then
  if listing=$(LD_LIBRARY_PATH="$BUILD_DIR/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
               "$BUILD_DIR/bin/kiln" plugins --plugin "$BUILD_DIR/lib/kiln/plugins/libkiln_cuda.so" 2>&1); then
    # Kernel rows: "    NAME  OP  opset A-B DEVICE in (...) out (...)[ [fused pattern]]"
    ops=$(awk '$3 == "opset" && $5 == "cuda" && !/\[fused pattern\]/ {print $2}' <<<"$listing" | sort -u | paste -sd, -)
    echo "CUDA pack ops: ${ops:-(none)}"
  else
    echo "warning: could not list the CUDA pack's kernels here:"; sed 's/^/  /' <<<"$listing" | head -n 5
  fi
fi
if [[ ! -d $ONNX_TESTS ]]; then
  echo "warning: no ONNX test data at $ONNX_TESTS: no conformance subset"
elif [[ -z $ops ]]; then
  echo "warning: no CUDA ops known: no conformance subset (set KILN_GPU_TEST_OPS=Conv,Relu,... to pick one)"
else
  /usr/bin/python3 scripts/gpu/pick_tests.py --src "$ONNX_TESTS" --dst "$BUNDLE/onnx-tests" --ops "$ops" \
    --max-mib "$TESTS_MAX_MIB" --list "$BUNDLE/onnx-tests.txt" \
    || echo "warning: picking the conformance subset failed: no subset"
fi

src_abs=$(pwd -P)
{
  printf 'KILN_BUILD_COMMIT=%q\n' "$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
  printf 'KILN_BUILD_DIRTY=%q\n' "$(git status --porcelain 2>/dev/null | grep -c . || true)"
  printf 'KILN_BUILD_DATE=%q\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf 'KILN_BUILD_TYPE=%q\n' "$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null)"
  printf 'KILN_BUILD_CUDA=%q\n' "$(/usr/local/cuda/bin/nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')"
  printf 'KILN_BUILD_SOURCE_DIR=%q\n' "$src_abs"
  printf 'KILN_BUILD_BINARY_DIR=%q\n' "$(cd "$BUILD_DIR" && pwd -P)"
} >"$BUNDLE/BUILD_INFO"

for c in configs/cuda.yaml configs/cuda-fp16.yaml; do
  [[ -f $c ]] || echo "warning: $c does not exist yet: the steps that use it will fail on the GPU machine"
  [[ -f $c ]] && ! git ls-files --error-unmatch "$c" >/dev/null 2>&1 && ! git check-ignore -q "$c" \
    && echo "note: $c is untracked (it still travels: untracked files that git does not ignore do)"
done

echo
echo "bundled libraries:"; awk '/^# left/ {exit} !/^#/ {print "  " $0}' "$BUNDLE/LIBS.txt"
echo "left to the GPU machine: $(awk '/^# left/ {on = 1; next} on {printf "%s ", $1}' "$BUNDLE/LIBS.txt")"
echo "contents (bytes):"
for d in bin lib/kiln/plugins lib onnx-tests test_plugins; do
  [[ -e $BUNDLE/$d ]] && printf '  %-18s %s\n' "$d" "$(du -sb "$BUNDLE/$d" | cut -f1)"
done
bytes=$(du -sb "$BUNDLE" | cut -f1)
tree=$(git ls-files -z --cached --others --exclude-standard 2>/dev/null | xargs -0 du -cb 2>/dev/null | awk 'END {print $1+0}')
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
echo "bundle size: $(mib "$bytes") MiB (limit $MAX_MIB MiB); with the working tree that travels: $(mib $((bytes + tree))) MiB of 64"
((bytes <= MAX_MIB * 1048576)) || die "the bundle is over $MAX_MIB MiB: lower KILN_GPU_TESTS_MAX_MIB or strip"
((bytes + tree <= 63 * 1048576)) || die "bundle + working tree is over 63 MiB: the device call would be refused"
