#!/usr/bin/env bash
# Builds the prebuilt addon of one platform package, packages/metal-native-<TARGET>/mlx_native.node,
# from a fresh Release build of packages/metal-native (its own build folder, configured from
# scratch, so no -D option of an earlier local build leaks in): test kernels off, no sanitizer,
# CUDA on where the toolkit is found (linux), deployment target macOS 14 (darwin: MTLResidencySet
# is checked at run time, so one binary serves macOS 14 and 15+). Then loads the result and prints
# its backends.
#   TARGET         linux-x64 | darwin-arm64 (must be this machine's process.platform-process.arch)
#   --if-host      on another platform, print why and exit 0 (the package's `build` script uses it,
#                  so `pnpm build` works everywhere)
#   MLX_PREBUILT_REQUIRE=cuda|metal   fail unless that backend is built into the binary (release
#                  builds: linux-x64 must have cuda, darwin-arm64 metal)
# Usage: bash scripts/prebuilt/build.sh TARGET [--if-host]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

TARGET=${1:-}
IF_HOST=0
[ "${2:-}" = "--if-host" ] && IF_HOST=1
case "$TARGET" in
  linux-x64 | darwin-arm64) ;;
  *)
    echo "usage: $0 linux-x64|darwin-arm64 [--if-host]" >&2
    exit 2
    ;;
esac

HOST=$(node -p 'process.platform + "-" + process.arch')
if [ "$HOST" != "$TARGET" ]; then
  if [ "$IF_HOST" = 1 ]; then
    echo "prebuilt $TARGET: skipped, this machine is $HOST (built by the hosted workflow on its own runner)"
    exit 0
  fi
  echo "prebuilt $TARGET: cannot be built on $HOST" >&2
  exit 1
fi

PKG="$ROOT/packages/metal-native-$TARGET"
OUT="$PKG/build"
NATIVE="$ROOT/packages/metal-native"
CMAKE_JS="$NATIVE/node_modules/.bin/cmake-js"
[ -x "$CMAKE_JS" ] || {
  echo "prebuilt $TARGET: $CMAKE_JS not found: run \`pnpm install\` first" >&2
  exit 1
}

defines=(--CDMLX_CUDA_TEST_KERNELS=OFF --CDMLX_SANITIZE= --CDCMAKE_BUILD_TYPE=Release)
case "$TARGET" in
  linux-*) defines+=(--CDMLX_WITH_CUDA=ON) ;;
  darwin-*) defines+=(--CDCMAKE_OSX_DEPLOYMENT_TARGET=14.0) ;;
esac

rm -rf "$OUT" "$PKG/mlx_native.node"
t0=$(date +%s)
(
  cd "$NATIVE"
  "$CMAKE_JS" configure --out "$OUT" "${defines[@]}"
  "$CMAKE_JS" build --out "$OUT"
) >"$PKG/build.log" 2>&1 || {
  tail -40 "$PKG/build.log" >&2
  echo "prebuilt $TARGET: build failed (full log: $PKG/build.log)" >&2
  exit 1
}
cp "$OUT/Release/mlx_native.node" "$PKG/mlx_native.node"

# Load the copy and show what it holds.
node - "$PKG/mlx_native.node" "${MLX_PREBUILT_REQUIRE:-}" <<'JS'
const [file, required] = process.argv.slice(2);
const addon = require(file);
const status = addon.backendStatus();
const built = status.filter((s) => s.built).map((s) => s.name);
console.log(`backends built: ${built.join(", ")}; available here: ${status.filter((s) => s.available).map((s) => s.name).join(", ")}`);
if (required && !built.includes(required)) {
  console.error(`MLX_PREBUILT_REQUIRE=${required}, but the binary has only: ${built.join(", ")}`);
  process.exit(1);
}
JS
echo "prebuilt $TARGET: packages/metal-native-$TARGET/mlx_native.node ($(wc -c <"$PKG/mlx_native.node") bytes, $(($(date +%s) - t0)) s)"
