#!/usr/bin/env bash
# Runs on the GPU machine (via the device tool), from the repository root, after prepare.sh ran
# here: unpacks the carried node, runs the GPU test suites and the benchmark, logs under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
G=.gpu
python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('$G/node.xz'), open('/tmp/node','wb'))"
chmod +x /tmp/node
export PATH=/tmp:$PATH
export MLX_NATIVE_ADDON=$PWD/$G/mlx_native.node
export MLX_CUDA_TEST_ADDON=$PWD/$G/mlx_cuda_test.node
# The CUDA example (examples/cuda-kernel): prebuilt by prepare.sh, its test among $G/tests.
export MLX_CUDA_EXAMPLE_ADDON=$PWD/$G/cuda_kernel.node MLX_EXAMPLE_PREBUILT=1
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; /tmp/node --version; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
status=0
# The pool's whole suite and the native layer's, with the cuda backend selected, and the CUDA
# example: a slow SAXPY on the user's stream whose fenced resets must never recycle early.
MLX_BACKEND=cuda /tmp/node --expose-gc --test --test-reporter=spec --test-concurrency=1 $G/tests/*.test.mjs \
  > "$OUT/tests-cuda.log" 2>&1 || status=1
tail -n 12 "$OUT/tests-cuda.log"
grep -E "^not ok|^# (pass|fail|skipped)|✖" "$OUT/tests-cuda.log" | head -40
/tmp/node $G/gpu-bench.mjs $G/decode-mistral-small.json > "$OUT/bench.json" 2> "$OUT/bench.err" || status=1
cat "$OUT/bench.json"; tail -5 "$OUT/bench.err"
exit $status
