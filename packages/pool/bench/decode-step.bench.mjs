// Pool hit + reset vs. direct allocation, on one real decode step (the sample trace's step 5).
// Run: pnpm turbo run build --filter=@mlx/pool... && pnpm --filter @mlx/pool bench [--json] [--backend host|cuda|metal]
import { readFileSync } from "node:fs";
import { describeResult, measure } from "../../../bench/measure.mjs";
import { DType, MlxBufferPool, MlxDevice } from "../dist/index.js";

const tracePath = new URL("../../cli/fixtures/decode-mistral-small.json", import.meta.url);
const trace = JSON.parse(readFileSync(tracePath, "utf8"));
const sizes = trace.steps[5].filter((op) => op[0] === "a").map((op) => op[2]);
const backendArg = process.argv.indexOf("--backend");
const backend = backendArg > 0 ? process.argv[backendArg + 1] : "auto";

const device = MlxDevice.open({ backend });
const pool = new MlxBufferPool();
const shapes = sizes.map((n) => [n]);
for (let i = 0; i < sizes.length; i++) pool.alloc(device, sizes[i], DType.U8, shapes[i]);
pool.reset();

const held = new Array(sizes.length);
/** One decode step through the pool, handles kept until the step ends, as a caller keeps them. */
function pooledStep() {
  for (let i = 0; i < sizes.length; i++)
    held[i] = pool.alloc(device, sizes[i], DType.U8, shapes[i]);
  pool.reset();
}

const rounds = 200;
const pooled = measure(
  () => {
    for (let r = 0; r < rounds; r++) pooledStep();
    return rounds * sizes.length;
  },
  { warmup: 20, samples: 25 },
);

const direct = measure(
  () => {
    const held = [];
    for (let i = 0; i < sizes.length; i++)
      held.push(device.allocBuffer(sizes[i], DType.U8, shapes[i]));
    for (const b of held) b.dispose();
    return sizes.length;
  },
  { warmup: 3, samples: 15 },
);

const nativeDevice = device.native;
const directNative = measure(
  () => {
    const held = [];
    for (let i = 0; i < sizes.length; i++) held.push(nativeDevice.allocBuffer(sizes[i]));
    for (const b of held) b.destroy();
    return sizes.length;
  },
  { warmup: 3, samples: 15 },
);

const stats = pool.stats();
if (
  stats.misses !== new Set(sizes.map((n) => 2 ** Math.ceil(Math.log2(n)))).size &&
  stats.misses > sizes.length
) {
  throw new Error(`unexpected misses in the timed loop: ${stats.misses}`);
}
const result = {
  backend: device.backend,
  device: device.name,
  residency: device.residencySetsEnabled,
  allocsPerStep: sizes.length,
  pooledNsPerAlloc: pooled,
  directNsPerAlloc: direct,
  directNativeNsPerAlloc: directNative,
  ratio: direct.median / pooled.median,
  missesDuringBench: stats.misses,
};
pool.dispose();
device.dispose();

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(
    `${result.backend} (${result.device}), residency ${result.residency ? "on" : "off"}; decode step of ${sizes.length} allocations`,
  );
  console.log(`pool hit + reset, per alloc:          ${describeResult(pooled)}`);
  console.log(`device.allocBuffer + dispose:         ${describeResult(direct)}`);
  console.log(`native allocBuffer + destroy only:    ${describeResult(directNative)}`);
  console.log(`direct / pooled (medians):            ${result.ratio.toFixed(0)}x`);
}
