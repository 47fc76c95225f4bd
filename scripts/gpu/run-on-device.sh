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
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; /tmp/node --version; grep -m1 "model name" /proc/cpuinfo; nproc; cat /proc/loadavg; } > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"
status=0
start=$SECONDS
# The pool's whole suite and the native layer's, with the cuda backend selected, and the CUDA
# example: a slow SAXPY on the user's stream whose fenced resets must never recycle early.
MLX_BACKEND=cuda /tmp/node --expose-gc --test --test-reporter=spec --test-concurrency=1 $G/tests/*.test.mjs \
  > "$OUT/tests-cuda.log" 2>&1 || status=1
tail -n 12 "$OUT/tests-cuda.log"
grep -E "^not ok|^# (pass|fail|skipped)|✖" "$OUT/tests-cuda.log" | head -40
# The benchmark in 5 processes (JIT and heap layout differ between them), one backend per
# process as a program has (the cuda backend's figure is not shaped by the host run's feedback):
# bench-1..5.json for cuda, bench-host-1..5.json for host.
for p in 1 2 3 4 5; do
  /tmp/node $G/gpu-bench.mjs $G/decode-mistral-small.json cuda > "$OUT/bench-$p.json" 2> "$OUT/bench-$p.err" || status=1
  tail -5 "$OUT/bench-$p.err"
  /tmp/node $G/gpu-bench.mjs $G/decode-mistral-small.json host > "$OUT/bench-host-$p.json" 2> "$OUT/bench-host-$p.err" || status=1
  /tmp/node $G/gpu-bench.mjs $G/decode-mistral-small.json cuda-no-residency > "$OUT/bench-nores-$p.json" 2> "$OUT/bench-nores-$p.err" || status=1
done
/tmp/node -e '
const fs = require("fs");
const read = (name) => [1, 2, 3, 4, 5].map((p) => JSON.parse(fs.readFileSync(process.argv[1] + "/" + name + p + ".json", "utf8")));
const runs = read("bench-");
const hostRuns = read("bench-host-");
const noResidencyRuns = read("bench-nores-");
const pick = (f) => runs.map(f).filter((x) => typeof x === "number").sort((a, b) => a - b);
const show = (name, xs) => console.log(name + ": median " + xs[Math.floor(xs.length / 2)]?.toFixed(1) + " (range " + xs[0]?.toFixed(1) + "-" + xs.at(-1)?.toFixed(1) + ", " + xs.length + " processes)");
const pickFrom = (rs, f) => rs.map(f).filter((x) => typeof x === "number").sort((a, b) => a - b);
show("pooled hit + reset share, ns per alloc, host (own processes)", pickFrom(hostRuns, (r) => r.backends[0]?.pooledNsPerAlloc?.median));
show("pooled hit + reset share, ns per alloc, cuda", pick((r) => r.backends[0]?.pooledNsPerAlloc?.median));
show("the same, measured again later in the process, cuda", pick((r) => r.backends[0]?.pooledAgainNsPerAlloc?.median));
show("pooled hit + reset share, ns per alloc, cuda with residency off", pickFrom(noResidencyRuns, (r) => r.backends[0]?.pooledNsPerAlloc?.median));
show("by lease id (LeaseIds.alloc) + reset share, ns per alloc, cuda", pick((r) => r.backends[0]?.leaseIdNsPerAlloc?.median));
show("by lease id, ns per alloc, host (own processes)", pickFrom(hostRuns, (r) => r.backends[0]?.leaseIdNsPerAlloc?.median));
show("cudaMallocManaged+cudaFree, ns per alloc", pick((r) => r.rawCuda?.managed?.median));
show("cudaMallocManaged+cudaFree / pooled hit (the pool allocates managed memory on cuda)", pick((r) => r.ratios?.cudaMallocManagedOverPooled));
show("device.allocBuffer + dispose / pooled hit, cuda", pick((r) => r.backends[0]?.directOverPooled));
show("cudaMalloc+cudaFree, ns per alloc", pick((r) => r.rawCuda?.device?.median));
show("cudaMalloc+cudaFree / pooled hit (goal >= 200)", pick((r) => r.ratios?.cudaMallocOverPooled));
show("cudaMalloc+cudaFree / pooled hit by lease id (goal >= 200)", pick((r) => r.ratios?.cudaMallocOverLeaseId));
show("JavaScript floor, ns per alloc", pick((r) => r.floorNsPerAlloc?.median));
show("cudaMalloc+cudaFree / floor (the most a pool handing out handles can reach)", pick((r) => r.ratios?.cudaMallocOverFloor));
show("pooled hit / floor", pick((r) => r.ratios?.pooledOverFloor));
show("pooled hit by lease id / floor", pick((r) => r.ratios?.leaseIdOverFloor));
console.log("side by side (each round times all of them back to back; the median of 15 rounds per process):");
show("  cudaMalloc+cudaFree / pooled hit (goal >= 200)", pick((r) => r.backends[0]?.sideBySide?.mallocOverPooled?.median));
show("  cudaMalloc+cudaFree / pooled hit by lease id (goal >= 200)", pick((r) => r.backends[0]?.sideBySide?.mallocOverId?.median));
show("  cudaMalloc+cudaFree / floor", pick((r) => r.backends[0]?.sideBySide?.mallocOverFloor?.median));
show("  cudaMallocManaged+cudaFree / pooled hit", pick((r) => r.backends[0]?.sideBySide?.managedOverPooled?.median));
' "$OUT" | tee "$OUT/bench-summary.txt"
# The hot-path benchmark of bench/decode-step.mjs on this quieter host: floor, pool, allocBatch,
# fenced reset, both peers, the per-token tail at ~700 allocations; 5 processes.
MLX_BENCH_PEERS=$PWD/$G/bench/peers BENCH_TRACE=$PWD/$G/decode-mistral-small.json \
  /tmp/node $G/bench/decode-step.mjs --processes 5 --backend host --json-out "$OUT/decode-step.json" \
  > "$OUT/decode-step.txt" 2> "$OUT/decode-step.err" || status=1
cat "$OUT/decode-step.txt"; tail -5 "$OUT/decode-step.err"
# Whether alloc's hit path (and LeaseIds.alloc's) is inlined whole, per backend: a cuda process
# slower than a host one would show here first.
for b in host cuda; do
  BENCH_TRACE=$PWD/$G/decode-mistral-small.json \
    /tmp/node $G/bench/inlining.mjs --processes 5 --backend $b > "$OUT/inlining-$b.txt" 2>&1 || status=1
  cat "$OUT/inlining-$b.txt"
done
# A 64 MiB pool miss against allocBuffer of the same size, residency off, full GCs traced.
/tmp/node $G/bench/large-miss.mjs --processes 5 > "$OUT/large-miss.txt" 2>&1 || status=1
cat "$OUT/large-miss.txt"
# Processes of one benchmark land at two speeds here (the floor itself at ~22 or ~40 ns): one
# process pinned to each core (the first MLX_GPU_CORES of them) shows whether that is the core's
# doing.
if command -v taskset > /dev/null; then
  cores=${MLX_GPU_CORES:-$(nproc)}
  if ! [[ $cores =~ ^[0-9]+$ ]] || ((cores > $(nproc))); then cores=$(nproc); fi
  for c in $(seq 0 $((cores - 1))); do
    taskset -c "$c" /tmp/node $G/gpu-bench.mjs $G/decode-mistral-small.json host > "$OUT/core-$c.json" 2>/dev/null || status=1
  done
  /tmp/node -e '
const fs = require("fs");
for (const f of fs.readdirSync(process.argv[1]).filter((f) => /^core-\d+\.json$/.test(f)).sort((a, b) => parseInt(a.slice(5)) - parseInt(b.slice(5)))) {
  const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
  const b = r.backends[0];
  console.log(f.replace(".json", "") + ": floor " + r.floorNsPerAlloc.median.toFixed(1) + " ns, pooled " + b.pooledNsPerAlloc?.median.toFixed(1) + " ns, by lease id " + b.leaseIdNsPerAlloc?.median.toFixed(1) + " ns");
}' "$OUT" | tee "$OUT/cores.txt"
fi
echo "run took $((SECONDS - start)) s" | tee "$OUT/duration.txt"
# The device tool brings back only a few files: everything else travels in one archive.
(cd "$OUT" && tar czf results.tgz --exclude results.tgz --exclude summary.txt ./* && find . -type f ! -name results.tgz ! -name bench-summary.txt -delete)
exit $status
