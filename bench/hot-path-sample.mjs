// One process of bench/compare-revision.mjs: two builds of @mlx/pool (argv 2 and 3), their
// pooled decode step timed in alternating samples; prints one JSON line. argv 5 "discard" drops
// each handle at once (as the GPU bench did before it kept them), so V8 may elide the handle,
// "batch" leases the step with one allocBatch, "id" by lease ids (LeaseIds.alloc);
// argv 6 "fenced" resets with `{ after }` and awaits the fence after each step (as
// bench/decode-step's fenced figure does), so that the fenced reset's own cost is compared.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { measure, measureAsync, quantile } from "./measure.mjs";

const [otherPath, currentPath, order, handles = "keep", reset = "plain"] = process.argv.slice(2);
const trace = JSON.parse(
  readFileSync(
    new URL("../packages/cli/fixtures/decode-mistral-small.json", import.meta.url),
    "utf8",
  ),
);
const sizes = trace.steps[5].filter((op) => op[0] === "a").map((op) => op[2]);
const shapes = sizes.map((n) => [n]);
const rounds = 100;

function setUp(lib) {
  const device = lib.MlxDevice.open({ backend: "host" });
  const pool = new lib.MlxBufferPool();
  const held = new Array(sizes.length);
  const u8 = lib.DType.U8;
  const requests = sizes.map((n, i) => [n, u8, shapes[i]]);
  let batch = held;
  const idsHeld = new Array(sizes.length).fill(0);
  /** The step of each way of holding leases (argv 5); each keeps what it gets until it ends. */
  const stepOf = {
    keep: () => () => {
      for (let i = 0; i < sizes.length; i++) held[i] = pool.alloc(device, sizes[i], u8, shapes[i]);
      pool.reset();
    },
    discard: () => () => {
      for (let i = 0; i < sizes.length; i++) pool.alloc(device, sizes[i], u8, shapes[i]);
      pool.reset();
    },
    batch: () => () => {
      batch = pool.allocBatch(device, requests);
      pool.reset();
    },
    id: () => {
      if (typeof pool.leaseIds !== "function") {
        throw new Error("--handles id: a build from before lease ids has no leaseIds()");
      }
      const ids = pool.leaseIds();
      return () => {
        for (let i = 0; i < sizes.length; i++) idsHeld[i] = ids.alloc(device, sizes[i]);
        pool.reset();
      };
    },
  };
  if (!Object.hasOwn(stepOf, handles))
    throw new Error(`--handles ${handles}: keep, discard, batch or id`);
  if (reset === "fenced" && handles !== "keep") throw new Error("--reset fenced times keep only");
  const step = stepOf[handles]();
  step();
  if (handles === "batch" && batch.length !== sizes.length) {
    throw new Error(`allocBatch returned ${batch.length} buffers for ${sizes.length} requests`);
  }
  if (reset === "fenced") {
    const settled = Promise.resolve();
    const fence = { after: settled };
    const fencedStep = async () => {
      for (let i = 0; i < sizes.length; i++) held[i] = pool.alloc(device, sizes[i], u8, shapes[i]);
      pool.reset(fence);
      await settled;
      await settled;
    };
    return {
      device,
      sample: async () => {
        for (let r = 0; r < rounds; r++) await fencedStep();
        return rounds * sizes.length;
      },
    };
  }
  return {
    device,
    sample: () => {
      for (let r = 0; r < rounds; r++) step();
      return rounds * sizes.length;
    },
  };
}

const other = setUp(await import(pathToFileURL(otherPath).href));
const current = setUp(await import(pathToFileURL(currentPath).href));
const results = { other: [], current: [] };
for (let k = 0; k < 12; k++) {
  const names = (k + Number(order)) % 2 === 0 ? ["other", "current"] : ["current", "other"];
  for (const name of names) {
    const side = name === "other" ? other : current;
    const m =
      reset === "fenced"
        ? await measureAsync(side.sample, { warmup: 5, samples: 9 })
        : measure(side.sample, { warmup: 5, samples: 9 });
    results[name].push(m.median);
  }
}
const otherNs = quantile(results.other, 0.5);
const currentNs = quantile(results.current, 0.5);
console.log(
  JSON.stringify({
    backend: current.device.backend,
    handles,
    reset,
    allocsPerStep: sizes.length,
    otherNs,
    currentNs,
    ratio: currentNs / otherNs,
  }),
);
