// Cost of a pool hit and of a reset, with plain objects as handles (no native code).
// Run: pnpm --filter @mlx/bucket-pool build && pnpm --filter @mlx/bucket-pool bench [--json]
import { describeResult, measure } from "../../../bench/measure.mjs";
import { BucketPool } from "../dist/index.js";

// One decode step's shape: 275 allocations over a handful of size classes.
const classes = [8, 512, 1536, 3072, 6144, 98304];
const sizes = Array.from({ length: 275 }, (_, i) => classes[i % classes.length]);
const rounds = 200;

const pool = new BucketPool({ allocate: (capacity) => ({ capacity }), destroy() {} });
for (const n of sizes) pool.acquire(n);
pool.reset();
// What each acquire returns is kept until the step ends, as a caller keeps its leases.
const held = new Array(sizes.length);

const hitAndReset = measure(() => {
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < sizes.length; i++) held[i] = pool.acquire(sizes[i]);
    pool.reset();
  }
  return rounds * sizes.length;
});

const reset = measure(() => {
  let ns = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < sizes.length; i++) held[i] = pool.acquire(sizes[i]);
    const start = process.hrtime.bigint();
    pool.reset();
    ns += Number(process.hrtime.bigint() - start);
  }
  return { ops: rounds, ns };
});

const stats = pool.stats();
if (stats.misses !== sizes.length)
  throw new Error(`expected only warm-up misses, got ${stats.misses}`);

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ allocsPerStep: sizes.length, hitAndReset, reset }));
} else {
  console.log(`pool hit + share of reset, per alloc: ${describeResult(hitAndReset)}`);
  console.log(`reset of ${sizes.length} leases, per call:  ${describeResult(reset)}`);
}
