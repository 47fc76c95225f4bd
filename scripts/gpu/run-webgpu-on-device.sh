#!/usr/bin/env bash
# Runs on the GPU machine (via the device tool), from the repository root, after prepare.sh and
# prepare-webgpu.sh ran here: finds the NVIDIA Vulkan ICD, then runs @mlx/webgpu's suites, its
# benchmark and the WGSL decode demo on Dawn over Vulkan; logs under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
G=.gpu-webgpu
python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.gpu/node.xz'), open('/tmp/node','wb'))"
chmod +x /tmp/node
mkdir -p "$G/node_modules/webgpu/dist/linux-x64"
python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('$G/dawn.node.xz'), open('$G/node_modules/webgpu/dist/linux-x64/dawn.node','wb'))"
export PATH=/tmp:$PATH
export XDG_RUNTIME_DIR=$(mktemp -d)
export MLX_NATIVE_ADDON=$PWD/.gpu/mlx_native.node
export MLX_BENCH_PEERS=$PWD/$G/bench/peers
export BENCH_TRACE=$PWD/$G/decode-mistral-small.json
LOG="$OUT/webgpu-machine.txt"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  /tmp/node --version
  echo "--- Vulkan ICD files found:"
  icd=""
  for dir in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/local/etc/vulkan/icd.d; do
    for f in "$dir"/*.json; do
      [ -f "$f" ] || continue
      echo "$f: $(tr -d '\n' < "$f" | head -c 300)"
      case "$f" in *nvidia*) icd=${icd:-$f} ;; esac
    done
  done
  if [ -z "$icd" ]; then
    icd=$(find / -xdev \( -name 'nvidia_icd*.json' -o -name 'nvidia_icd.*.json' \) 2>/dev/null | head -n1)
    [ -n "$icd" ] && echo "found by search: $icd: $(tr -d '\n' < "$icd" | head -c 300)"
  fi
  echo "--- NVIDIA ICD used: ${icd:-none}"
  lib=$(sed -n 's/.*"library_path"[^"]*"\([^"]*\)".*/\1/p' "${icd:-/dev/null}" 2>/dev/null | head -n1)
  echo "--- its library: ${lib:-?}; where the loader may find it:"
  ldconfig -p 2>/dev/null | grep -E "libGLX_nvidia|libEGL_nvidia|libnvidia-glcore|libvulkan" || true
  find / -xdev -name "$(basename "${lib:-libGLX_nvidia.so.0}")" 2>/dev/null | head -n3
} > "$LOG" 2>&1
icd=$(sed -n 's/^--- NVIDIA ICD used: //p' "$LOG")
driverlib=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}')
[ -n "$driverlib" ] || driverlib=$(find / -xdev -name 'libGLX_nvidia.so.0' 2>/dev/null | head -n1)
export LD_LIBRARY_PATH=$PWD/$G/lib${driverlib:+:$(dirname "$driverlib")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ "$icd" != "none" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; fi
{
  echo "--- LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  echo "--- VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-unset}"
  [ -n "$driverlib" ] && { echo "--- ldd $driverlib (missing libraries show 'not found'):"; ldd "$driverlib"; }
  echo "--- ldd dawn.node:"; ldd "$G/node_modules/webgpu/dist/linux-x64/dawn.node"
} >> "$LOG" 2>&1
cat "$LOG"
status=0
# CI is set so that a missing adapter fails the suite instead of skipping it.
CI=1 /tmp/node --test --test-reporter=spec --test-concurrency=1 "$G"/tests/*.test.mjs \
  > "$OUT/webgpu-tests.log" 2>&1 || status=1
tail -n 14 "$OUT/webgpu-tests.log"
grep -E "^not ok|✖|GPU tests on|skipped:" "$OUT/webgpu-tests.log" | head -20
/tmp/node "$G/cli/mlx-pool.mjs" demo --backend webgpu --tokens 256 > "$OUT/webgpu-demo.txt" 2> "$OUT/webgpu-demo.err" || status=1
cat "$OUT/webgpu-demo.txt"; grep -v "^Warning" "$OUT/webgpu-demo.err" | tail -5
BENCH_PROCESSES=5 /tmp/node "$G/bench/run.mjs" > "$OUT/webgpu-bench.md" 2> "$OUT/webgpu-bench.err" || status=1
cat "$OUT/webgpu-bench.md"; tail -5 "$OUT/webgpu-bench.err"
exit $status
