# What the SDK tests share (source it): a temporary work folder removed on exit, kiln installed into it, CMake
# projects built against that install, and the check that a plugin exports its entry symbol alone.
#   sdk_start BUILD_DIR     sets $work (the folder) and $prefix (kiln installed there by `cmake --install`)
#   sdk_build SRC BIN ARGS  configures SRC into BIN against $prefix (Release, then ARGS) and builds it
#   sdk_only_entry LIB.so   fails unless kiln_plugin_entry is the one symbol LIB.so exports

# Runs a command with its output in $work/log, shown only when it fails.
sdk_quietly() {
  if ! "$@" >"$work/log" 2>&1; then
    cat "$work/log"
    echo "FAIL: $*"
    return 1
  fi
}

sdk_start() {
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  prefix="$work/prefix"
  sdk_quietly cmake --install "$1" --prefix "$prefix"
}

sdk_build() {
  local src=$1 bin=$2
  shift 2
  sdk_quietly cmake -S "$src" -B "$bin" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release "$@"
  sdk_quietly cmake --build "$bin"
}

sdk_only_entry() {
  test -f "$1" || { echo "FAIL: $1 was not built"; return 1; }
  local exported
  exported=$(nm -D --defined-only "$1" | awk '{print $3}')
  if [[ "$exported" != "kiln_plugin_entry" ]]; then
    echo "FAIL: $1 exports more than its entry symbol:"
    echo "$exported"
    return 1
  fi
}
