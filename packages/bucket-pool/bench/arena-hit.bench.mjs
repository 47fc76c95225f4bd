// Cost of a steady-state hit: allocate + free pairs in the order one decode step of a real trace
// makes them (packages/cli/fixtures/decode-mistral-small.json, step 10: 261 of its 275 allocations
// are freed within the step), after the steps before it (their surviving buffers stay live),
// handles kept as a caller keeps them. Three allocators side by side
// in one process, sampled in turn: the slab arena, BucketPool with the pow2 policy, and the bare
// pow2 free lists under it. Several processes; median and spread of each, and of the ratios.
// `--min-bytes 16385` keeps only the large requests (the segregated fit's path); the decode trace
// frees none of those within a step, `--trace ../cli/fixtures/synthetic/wide-ffn.json` does.
// Run: pnpm turbo run build --filter=@mlx/cli... && node bench/arena-hit.bench.mjs [--processes 5]
//        [--trace FILE] [--step 10] [--min-bytes N] [--freed-block-reuse exact-first] [--json]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { spreadOf } from "../../../bench/measure.mjs";
import { BucketPool, bucketSize, FreeLists, pow2, SlabArena, Slot } from "../dist/index.js";

const here = fileURLToPath(import.meta.url);
const defaultTrace = join(dirname(here), "../../cli/fixtures/decode-mistral-small.json");

/**
 * The ops of one step whose buffers (of at least `minBytes`) are allocated and freed within it, as
 * [isAlloc, slot, bytes].
 */
function decodeStep(trace, index, minBytes) {
  const step = trace.steps[index];
  const freedHere = new Set(step.filter((op) => op[0] === "f").map((op) => op[1]));
  const slotOf = new Map();
  const ops = [];
  for (const op of step) {
    if (op[0] === "a" && freedHere.has(op[1]) && op[2] >= minBytes) {
      slotOf.set(op[1], slotOf.size);
      ops.push([true, slotOf.get(op[1]), op[2]]);
    } else if (op[0] === "f" && slotOf.has(op[1])) {
      ops.push([false, slotOf.get(op[1]), 0]);
    }
  }
  return { ops, pairs: slotOf.size };
}

/**
 * Brings every allocator to the state the trace has when step `stepIndex` begins: the steps
 * before it replayed, their surviving buffers (KV caches, say) live.
 */
function replayPrefix(trace, stepIndex, alloc, free) {
  const live = new Map();
  for (const step of trace.steps.slice(0, stepIndex)) {
    for (const op of step) {
      if (op[0] === "a") live.set(op[1], alloc(op[2]));
      else if (op[0] === "f") {
        free(live.get(op[1]));
        live.delete(op[1]);
      } else {
        for (const handle of live.values()) free(handle);
        live.clear();
      }
    }
  }
}

/** Each allocator as run(ops, handles, generations): replays the step once. */
function allocators(trace, stepIndex, freedBlockReuse) {
  const arenaOptions = { allocateSlab: (bytes) => ({ bytes }), freeSlab() {}, freedBlockReuse };
  const arena = new SlabArena(arenaOptions);
  const checkedArena = new SlabArena(arenaOptions);
  const pool = new BucketPool({ allocate: (capacity) => ({ capacity }), destroy() {} });
  const lists = new FreeLists(false, false, pow2);
  const takeFromLists = (bytes) => {
    const capacity = bucketSize(bytes);
    let slot = lists.takeExact(0, capacity);
    if (slot === null) {
      slot = new Slot({ capacity }, capacity);
      slot.bucket = lists.bucketFor(0, capacity);
    }
    return slot;
  };
  for (const a of [arena, checkedArena]) {
    replayPrefix(
      trace,
      stepIndex,
      (n) => a.allocate(n),
      (b) => a.free(b, b.generation),
    );
  }
  replayPrefix(
    trace,
    stepIndex,
    (n) => pool.acquire(n),
    (s) => pool.release(s, s.generation),
  );
  replayPrefix(trace, stepIndex, takeFromLists, (s) => lists.file(s));
  return {
    arena(ops, handles, gens) {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i];
        if (op[0]) {
          const block = arena.allocate(op[2]);
          handles[op[1]] = block;
          gens[op[1]] = block.generation;
        } else {
          arena.free(handles[op[1]], gens[op[1]]);
        }
      }
    },
    arenaChecked(ops, handles) {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i];
        if (op[0]) handles[op[1]] = checkedArena.allocateChecked(op[2]);
        else checkedArena.freeChecked(handles[op[1]]);
      }
    },
    pool(ops, handles, gens) {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i];
        if (op[0]) {
          const slot = pool.acquire(op[2]);
          handles[op[1]] = slot;
          gens[op[1]] = slot.generation;
        } else {
          pool.release(handles[op[1]], gens[op[1]]);
        }
      }
    },
    freeLists(ops, handles) {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i];
        if (op[0]) {
          handles[op[1]] = takeFromLists(op[2]);
        } else {
          lists.file(handles[op[1]]);
        }
      }
    },
  };
}

function summary(values) {
  return { ...spreadOf(values), min: Math.min(...values), max: Math.max(...values) };
}

/** One process: interleaved samples of every allocator; ns per allocate + free pair. */
function runOneProcess(tracePath, stepIndex, minBytes, freedBlockReuse, samples = 101) {
  const trace = JSON.parse(readFileSync(tracePath, "utf8"));
  const { ops, pairs } = decodeStep(trace, stepIndex, minBytes);
  if (pairs === 0) throw new Error(`step ${stepIndex} frees nothing of >= ${minBytes} bytes`);
  // About 5000 pairs per sample: long enough to time, short enough to dodge preemption.
  const repeats = Math.ceil(5000 / pairs);
  const runs = allocators(trace, stepIndex, freedBlockReuse);
  const names = Object.keys(runs);
  const handles = new Array(pairs).fill(null);
  const gens = new Array(pairs).fill(0);
  // Warm-up: the steps before, then the step itself until every request is a hit.
  for (let w = 0; w < 50; w++) for (const name of names) runs[name](ops, handles, gens);
  const perPair = Object.fromEntries(names.map((n) => [n, []]));
  for (let s = 0; s < samples; s++) {
    for (const name of names) {
      const run = runs[name];
      const start = process.hrtime.bigint();
      for (let r = 0; r < repeats; r++) run(ops, handles, gens);
      perPair[name].push(Number(process.hrtime.bigint() - start) / (repeats * pairs));
    }
  }
  const medians = Object.fromEntries(names.map((n) => [n, summary(perPair[n]).median]));
  return {
    pairsPerStep: pairs,
    medians,
    arenaOverPool: medians.arena / medians.pool,
    arenaOverFreeLists: medians.arena / medians.freeLists,
  };
}

const { values } = parseArgs({
  options: {
    child: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    processes: { type: "string", default: "5" },
    "min-bytes": { type: "string", default: "1" },
    trace: { type: "string", default: defaultTrace },
    step: { type: "string", default: "10" },
    "freed-block-reuse": { type: "string", default: "merge-first" },
  },
});

if (values.child) {
  console.log(
    JSON.stringify(
      runOneProcess(
        values.trace,
        Number(values.step),
        Number(values["min-bytes"]),
        values["freed-block-reuse"],
      ),
    ),
  );
} else {
  const results = [];
  for (let p = 0; p < Number(values.processes); p++) {
    const out = execFileSync(
      process.execPath,
      [
        here,
        "--child",
        "--min-bytes",
        values["min-bytes"],
        "--trace",
        values.trace,
        "--step",
        values.step,
        "--freed-block-reuse",
        values["freed-block-reuse"],
      ],
      { encoding: "utf8" },
    );
    results.push(JSON.parse(out));
  }
  const report = {
    processes: results.length,
    pairsPerStep: results[0].pairsPerStep,
    nsPerPair: Object.fromEntries(
      Object.keys(results[0].medians).map((n) => [n, summary(results.map((r) => r.medians[n]))]),
    ),
    arenaOverPool: summary(results.map((r) => r.arenaOverPool)),
    arenaOverFreeLists: summary(results.map((r) => r.arenaOverFreeLists)),
  };
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const f = (s) => `${s.median.toFixed(1)} (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`;
    console.log(
      `${report.pairsPerStep} allocate + free pairs per step (>= ${values["min-bytes"]} bytes), ns per pair, median over ${report.processes} processes of each process's median:`,
    );
    for (const [name, s] of Object.entries(report.nsPerPair))
      console.log(`  ${name.padEnd(12)} ${f(s)}`);
    const r = (s) => `${s.median.toFixed(2)}x (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`;
    console.log(`  arena / BucketPool  ${r(report.arenaOverPool)}`);
    console.log(`  arena / free lists  ${r(report.arenaOverFreeLists)}`);
  }
}
