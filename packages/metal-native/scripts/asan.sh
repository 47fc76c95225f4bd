#!/usr/bin/env bash
# Builds the addon with AddressSanitizer into build-asan/ (the normal build/ is untouched)
# and runs the vitest suite against it.
#
# Node itself is not instrumented, so libasan is preloaded (it must be the first DSO).
# detect_leaks=0: LeakSanitizer reports V8/Node's own at-exit allocations, which are noise
# here; use-after-free, double free and overflows in the addon are still caught.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build-asan
npx cmake-js configure --out "$build_dir" --CDMLX_SANITIZE=address
npx cmake-js build --out "$build_dir"

libasan="$(${CXX:-g++} -print-file-name=libasan.so)"
if [[ ! -e "$libasan" ]]; then
  echo "asan.sh: libasan.so not found via ${CXX:-g++}" >&2
  exit 1
fi

export MLX_NATIVE_ADDON="$PWD/$build_dir/Release/mlx_native.node"
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allow_user_segv_handler=1"
exec npx vitest run "$@"
