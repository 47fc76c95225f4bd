// Steady-state hit cost of MlxBufferPool under policy "arena" vs the default power-of-two policy:
// one decode step of the sample trace (allocs and releases in the trace's order, then reset),
// handles kept in an array as a caller keeps them. Both pools run in one process, sampled in
// turn; several processes; median and spread per policy and the median of the per-process ratios.
// Run: pnpm turbo run build --filter=@mlx/pool... --filter=@mlx/cli && node bench/arena-hit.bench.mjs
//        [--processes 5] [--step 10] [--backend host|cuda|metal] [--json]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeResult, measure, quantile } from "../../../bench/measure.mjs";
import { DType, MlxBufferPool, MlxDevice } from "../dist/index.js";

const { values: args } = parseArgs({
  options: {
    processes: { type: "string", default: "5" },
    step: { type: "string", default: "10" },
    backend: { type: "string", default: "auto" },
    json: { type: "boolean", default: false },
    child: { type: "boolean", default: false },
  },
});

const tracePath = new URL("../../cli/fixtures/decode-mistral-small.json", import.meta.url);

/** The step as [isAlloc, handleIndex, bytes] ops: every alloc of the step, the frees of those. */
function stepOps(stepIndex) {
  const trace = JSON.parse(readFileSync(tracePath, "utf8"));
  const step = trace.steps[stepIndex];
  const index = new Map();
  const ops = [];
  for (const op of step) {
    if (op[0] === "a") {
      index.set(op[1], index.size);
      ops.push([true, index.get(op[1]), op[2]]);
    } else if (op[0] === "f" && index.has(op[1])) {
      ops.push([false, index.get(op[1]), 0]);
    }
  }
  return { ops, allocs: index.size };
}

function child() {
  const { ops, allocs } = stepOps(Number(args.step));
  const device = MlxDevice.open({ backend: args.backend });
  const shapes = ops.map(([, , n]) => [n]);
  const run = (pool, handles) => {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      if (op[0]) handles[op[1]] = pool.alloc(device, op[2], DType.U8, shapes[i]);
      else pool.release(handles[op[1]]);
    }
    pool.reset();
  };
  const pools = { pow2: new MlxBufferPool(), arena: new MlxBufferPool({ policy: "arena" }) };
  const handles = { pow2: new Array(allocs), arena: new Array(allocs) };
  for (const name of ["pow2", "arena"])
    for (let i = 0; i < 50; i++) run(pools[name], handles[name]);
  const missesBefore = { pow2: pools.pow2.stats().misses, arena: pools.arena.stats().misses };
  const rounds = 40;
  const samples = { pow2: [], arena: [] };
  // In turn, so that both see the same machine state; each sample is `rounds` steps.
  for (let s = 0; s < 31; s++) {
    for (const name of s % 2 === 0 ? ["pow2", "arena"] : ["arena", "pow2"]) {
      const m = measure(
        () => {
          for (let r = 0; r < rounds; r++) run(pools[name], handles[name]);
          return rounds * allocs;
        },
        { warmup: 0, samples: 1 },
      );
      samples[name].push(m.median);
    }
  }
  const result = {
    backend: device.backend,
    allocsPerStep: allocs,
    opsPerStep: ops.length,
    pow2: quantile(samples.pow2, 0.5),
    arena: quantile(samples.arena, 0.5),
    missesDuringBench: {
      pow2: pools.pow2.stats().misses - missesBefore.pow2,
      arena: pools.arena.stats().misses - missesBefore.arena,
    },
    arenaSlabs: pools.arena.stats().heldCount,
  };
  pools.pow2.dispose();
  pools.arena.dispose();
  device.dispose();
  console.log(JSON.stringify(result));
}

function parent() {
  const processes = Number(args.processes);
  const runs = [];
  for (let p = 0; p < processes; p++) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", "--step", args.step, "--backend", args.backend],
      { encoding: "utf8" },
    );
    runs.push(JSON.parse(out.trim().split("\n").at(-1)));
  }
  const spread = (values) => ({
    median: quantile(values, 0.5),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
    min: Math.min(...values),
    samples: values.length,
  });
  const summary = {
    backend: runs[0].backend,
    step: Number(args.step),
    allocsPerStep: runs[0].allocsPerStep,
    processes,
    pow2NsPerAlloc: spread(runs.map((r) => r.pow2)),
    arenaNsPerAlloc: spread(runs.map((r) => r.arena)),
    ratio: spread(runs.map((r) => r.arena / r.pow2)),
    missesDuringBench: runs.map((r) => r.missesDuringBench),
    arenaSlabs: runs[0].arenaSlabs,
  };
  if (args.json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  console.log(
    `${summary.backend}: step ${summary.step} of the sample trace, ${summary.allocsPerStep} allocations (+ releases, reset) per step, ${processes} processes`,
  );
  console.log(
    `pow2 pool, ns per alloc (process medians):  ${describeResult(summary.pow2NsPerAlloc)}`,
  );
  console.log(
    `arena pool, ns per alloc (process medians): ${describeResult(summary.arenaNsPerAlloc)}`,
  );
  console.log(
    `arena / pow2 per process: median ${summary.ratio.median.toFixed(2)}x (p10 ${summary.ratio.p10.toFixed(2)}, p90 ${summary.ratio.p90.toFixed(2)})`,
  );
  console.log(`fresh allocations while timed: ${JSON.stringify(summary.missesDuringBench)}`);
}

if (args.child) child();
else parent();
