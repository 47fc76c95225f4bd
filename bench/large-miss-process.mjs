// One process of bench/large-miss.mjs: a 64 MiB pool miss (pool.alloc when nothing is free)
// against device.allocBuffer of the same size, residency off, in alternating samples; only
// the allocation is timed, the freeing is not. Counts full (mark-compact) GCs in-process too.
// --pool path/to/pool/dist/index.js times another build.
import { constants, PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { measure, quantile } from "./measure.mjs";
import { arg } from "./processes.mjs";

// This checkout's build by a literal path (so that a bundler includes it), or --pool's.
const poolPath = arg("--pool", undefined);
if (poolPath === undefined && process.argv.includes("--pool"))
  throw new Error("--pool needs a path");
const lib =
  poolPath === undefined
    ? await import("../packages/pool/dist/index.js")
    : await import(pathToFileURL(poolPath).href);
const { DType, MlxBufferPool, MlxDevice } = lib;
const bytes = Number(arg("--mib", "64")) * 2 ** 20;
const rounds = Number(arg("--rounds", "7"));
const device = MlxDevice.open({ backend: arg("--backend", "host"), residency: false });
const pool = new MlxBufferPool();
const shape = [bytes];

function poolMiss() {
  const start = process.hrtime.bigint();
  const buffer = pool.alloc(device, bytes, DType.U8, shape);
  const ns = Number(process.hrtime.bigint() - start);
  pool.release(buffer);
  pool.clear(); // frees it now, so the next alloc misses again
  return { ops: 1, ns };
}

function direct() {
  const start = process.hrtime.bigint();
  const buffer = device.allocBuffer(bytes, DType.U8, shape);
  const ns = Number(process.hrtime.bigint() - start);
  buffer.dispose();
  return { ops: 1, ns };
}

const major = { count: 0 };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major.count++;
});
observer.observe({ entryTypes: ["gc"] });
const results = { poolMiss: [], direct: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ["poolMiss", "direct"] : ["direct", "poolMiss"];
  for (const name of order) {
    const sample = name === "poolMiss" ? poolMiss : direct;
    results[name].push(measure(sample, { warmup: 2, samples: 9 }).median);
  }
}
await new Promise((resolve) => setTimeout(resolve, 100));
observer.disconnect();
const misses = pool.stats().misses;
pool.dispose();
device.dispose();
const ratios = results.poolMiss.map((x, i) => x / results.direct[i]);
console.log(
  JSON.stringify({
    backend: device.backend,
    bytes,
    poolMissNs: quantile(results.poolMiss, 0.5),
    directNs: quantile(results.direct, 0.5),
    missOverDirect: quantile(ratios, 0.5),
    poolMisses: misses,
    fullGcs: major.count,
  }),
);
