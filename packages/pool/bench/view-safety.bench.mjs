// What the view-safety options cost on one decode step (the sample trace's step 5): the default
// pool, `poison`, and `strictViews`, interleaved in one process, each step touching every
// lease's bytes() once as a kernel launch would. Several processes; median and spread of the
// per-process medians, and each option's ratio to the default measured side by side.
// Run: pnpm turbo run build --filter=@mlx/cli... && node packages/pool/bench/view-safety.bench.mjs [--processes 5] [--json]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { formatNs, measure, quantile } from "../../../bench/measure.mjs";
import { DType, MlxBufferPool, MlxDevice } from "../dist/index.js";

const VARIANTS = {
  default: {},
  poison: { poison: true },
  strictViews: { strictViews: true },
};

function child() {
  const tracePath = new URL("../../cli/fixtures/decode-mistral-small.json", import.meta.url);
  const trace = JSON.parse(readFileSync(tracePath, "utf8"));
  const sizes = trace.steps[5].filter((op) => op[0] === "a").map((op) => op[2]);
  const shapes = sizes.map((n) => Object.freeze([n]));
  const device = MlxDevice.open();
  const pools = Object.fromEntries(
    Object.entries(VARIANTS).map(([name, options]) => [name, new MlxBufferPool(options)]),
  );
  const held = new Array(sizes.length);
  const step = (pool) => {
    for (let i = 0; i < sizes.length; i++)
      held[i] = pool.alloc(device, sizes[i], DType.U8, shapes[i]);
    let sum = 0;
    for (let i = 0; i < sizes.length; i++) sum += held[i].bytes().length;
    pool.reset();
    return sum;
  };
  for (const pool of Object.values(pools)) step(pool);
  const rounds = 50;
  const results = {};
  // Interleaved: each variant measured in turn, three times, so drift hits them alike.
  for (let pass = 0; pass < 3; pass++) {
    for (const [name, pool] of Object.entries(pools)) {
      const m = measure(
        () => {
          for (let r = 0; r < rounds; r++) step(pool);
          return rounds * sizes.length;
        },
        { warmup: pass === 0 ? 10 : 2, samples: 15 },
      );
      results[name] = [...(results[name] ?? []), m.median];
    }
  }
  for (const pool of Object.values(pools)) pool.dispose();
  const out = { backend: device.backend, device: device.name, allocsPerStep: sizes.length };
  device.dispose();
  for (const [name, medians] of Object.entries(results)) out[name] = quantile(medians, 0.5);
  process.stdout.write(JSON.stringify(out));
}

if (process.argv.includes("--child")) {
  child();
} else {
  const at = process.argv.indexOf("--processes");
  const processes = at > 0 ? Number(process.argv[at + 1]) : 5;
  const runs = [];
  for (let p = 0; p < processes; p++) {
    const text = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child"], {
      encoding: "utf8",
    });
    runs.push(JSON.parse(text));
  }
  const summary = (values) => ({
    median: quantile(values, 0.5),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
  });
  const result = {
    backend: runs[0].backend,
    device: runs[0].device,
    allocsPerStep: runs[0].allocsPerStep,
    processes,
    nsPerAlloc: Object.fromEntries(
      Object.keys(VARIANTS).map((name) => [name, summary(runs.map((r) => r[name]))]),
    ),
    ratioToDefault: Object.fromEntries(
      Object.keys(VARIANTS).map((name) => [name, summary(runs.map((r) => r[name] / r.default))]),
    ),
  };
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(
      `${result.backend} (${result.device}); decode step of ${result.allocsPerStep} allocations, alloc + bytes() + reset, ${processes} processes`,
    );
    for (const name of Object.keys(VARIANTS)) {
      const ns = result.nsPerAlloc[name];
      const ratio = result.ratioToDefault[name];
      console.log(
        `${name.padEnd(12)} ${formatNs(ns.median)} per alloc (processes p25 ${formatNs(ns.p25)}, p75 ${formatNs(ns.p75)}); ${ratio.median.toFixed(2)}x default (range ${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)})`,
      );
    }
  }
}
