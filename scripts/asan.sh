#!/usr/bin/env bash
# The native addon under AddressSanitizer: builds it instrumented (packages/metal-native/build-asan)
# and runs its own tests and the pool's whole suite against it. Zero reports is the pass mark.
# The soak tests measure RSS, which ASan's quarantine of freed memory inflates; they run with the
# quarantine off (use-after-free of long-freed memory is then not caught there, by anything else).
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm turbo run build --filter=@mlx/pool... >/dev/null
pnpm --filter @mlx/metal-native asan
export MLX_NATIVE_ADDON="$PWD/packages/metal-native/build-asan/Release/mlx_native.node"
export LD_PRELOAD="$(${CXX:-g++} -print-file-name=libasan.so)"
base="detect_leaks=0:abort_on_error=1:halt_on_error=1:allow_user_segv_handler=1"
cd packages/pool
ASAN_OPTIONS="$base" npx vitest run --exclude "test/soak/**"
ASAN_OPTIONS="$base:quarantine_size_mb=0" npx vitest run test/soak
echo "asan: no AddressSanitizer reports"
