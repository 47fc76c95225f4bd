// The hot-path benchmark: pooled alloc + reset share on the real decode step, handles kept, and
// by lease id (LeaseIds, ids kept), against the JavaScript floor and the peers (TensorFlow.js
// BufferManager, ONNX Runtime Web GpuDataManager, fake GPU device, same sizes), and the
// per-token p50/p99 at ~700 allocations
// per token; each figure the median over several processes (bench/decode-step-process.mjs).
// Run: pnpm turbo run build --filter=@mlx/cli... && node bench/decode-step.mjs [--processes 5] [--backend host] [--json] [--json-out FILE]
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { acrossProcesses, arg, machine, runProcesses } from "./processes.mjs";

const processes = Number(arg("--processes", "5"));
const passArgs = ["--backend", arg("--backend", "host"), "--rounds", arg("--rounds", "9")];
const script = fileURLToPath(new URL("./decode-step-process.mjs", import.meta.url));
const runs = runProcesses(script, passArgs, processes).map((r) => r.result);
const over = (pick) => acrossProcesses(runs.map(pick));

const summary = {
  machine: machine(),
  backend: runs[0].backend,
  allocsPerStep: runs[0].allocsPerStep,
  processes,
  nsPerAlloc: Object.fromEntries(
    Object.keys(runs[0].nsPerAlloc).map((name) => [name, over((r) => r.nsPerAlloc[name])]),
  ),
  poolOverFloor: over((r) => r.ratios.poolOverFloor),
  tfjsOverPool: over((r) => r.ratios.tfjsOverPool),
  ortOverPool: over((r) => r.ratios.ortOverPool),
  allocBatchOverAlloc: over((r) => r.ratios.allocBatchOverAlloc),
  leaseIdsOverFloor: over((r) => r.ratios.leaseIdsOverFloor),
  leaseIdsOverAlloc: over((r) => r.ratios.leaseIdsOverAlloc),
  fencedOverPlainReset: over((r) => r.ratios.fencedOverPlainReset),
  fencedOverPlainResetToken: over((r) => r.ratios.fencedOverPlainResetToken),
  token: {
    allocsPerToken: runs[0].token.allocsPerToken,
    tokensPerProcess: runs[0].token.tokens,
    medianNs: over((r) => r.token.ns.median),
    p99Ns: over((r) => r.token.ns.p99),
    p99OverMedian: over((r) => r.token.p99OverMedian),
    floorP99OverMedian: over((r) => r.token.floorP99OverMedian),
    scavengesPerProcess: over((r) => r.token.gc.minor),
    fullGcsPerProcess: over((r) => r.token.gc.major),
    gcShareOfTime: over((r) => r.token.gcShareOfTime),
    byLeaseId: {
      medianNs: over((r) => r.token.byLeaseId.ns.median),
      p99OverMedian: over((r) => r.token.byLeaseId.p99OverMedian),
      scavengesPerProcess: over((r) => r.token.byLeaseId.gc.minor),
      fullGcsPerProcess: over((r) => r.token.byLeaseId.gc.major),
    },
  },
  missesInTimedLoops: runs.reduce((n, r) => n + r.missesInTimedLoop, 0),
};
summary.goals = {
  "pool <= 2.0x floor": summary.poolOverFloor.median <= 2,
  "tfjs / pool >= 5": summary.tfjsOverPool.median >= 5,
  "ort / pool >= 5": summary.ortOverPool.median >= 5,
  "token p99 <= 2x median": summary.token.p99OverMedian.median <= 2,
  "allocBatch <= a loop of alloc": summary.allocBatchOverAlloc.median <= 1,
  "fenced reset <= 1.05x plain (decode step)": summary.fencedOverPlainReset.median <= 1.05,
};

const range = (s, digits = 2) =>
  `${s.median.toFixed(digits)} (range ${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
const jsonOut = arg("--json-out", undefined);
if (jsonOut !== undefined) writeFileSync(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
if (process.argv.includes("--json")) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(
    `${summary.machine}; backend ${summary.backend}; medians over ${processes} processes`,
  );
  console.log(`decode step (${summary.allocsPerStep} allocations), ns per alloc, handles kept:`);
  for (const [name, s] of Object.entries(summary.nsPerAlloc))
    console.log(`  ${name.padEnd(20)} ${range(s, 1)}`);
  console.log(`pool / floor:        ${range(summary.poolOverFloor)}x`);
  console.log(`tfjs / pool:         ${range(summary.tfjsOverPool)}x`);
  console.log(`ort / pool:          ${range(summary.ortOverPool)}x`);
  console.log(`allocBatch / alloc:  ${range(summary.allocBatchOverAlloc)}x`);
  console.log(
    `by lease id / floor: ${range(summary.leaseIdsOverFloor)}x; by lease id / alloc: ${range(summary.leaseIdsOverAlloc)}x`,
  );
  console.log(
    `fenced / plain reset (steps awaited alike): ${range(summary.fencedOverPlainReset)}x; on a token of ${summary.token.allocsPerToken} allocations: ${range(summary.fencedOverPlainResetToken)}x`,
  );
  const t = summary.token;
  console.log(
    `token of ${t.allocsPerToken} allocations (${t.tokensPerProcess} per process): median ${range(
      { median: t.medianNs.median / 1e3, min: t.medianNs.min / 1e3, max: t.medianNs.max / 1e3 },
      1,
    )} µs, p99/median ${range(t.p99OverMedian)} (the floor's own token, the machine's tail: ${range(t.floorP99OverMedian)}), scavenges ${range(t.scavengesPerProcess, 0)}, full GCs ${range(t.fullGcsPerProcess, 0)}, GC ${range({ median: t.gcShareOfTime.median * 100, min: t.gcShareOfTime.min * 100, max: t.gcShareOfTime.max * 100 }, 1)}% of token time`,
  );
  const id = t.byLeaseId;
  console.log(
    `the same token by lease id: median ${range({ median: id.medianNs.median / 1e3, min: id.medianNs.min / 1e3, max: id.medianNs.max / 1e3 }, 1)} µs, p99/median ${range(id.p99OverMedian)}, scavenges ${range(id.scavengesPerProcess, 0)}, full GCs ${range(id.fullGcsPerProcess, 0)}`,
  );
  for (const [goal, met] of Object.entries(summary.goals))
    console.log(`  ${met ? "met    " : "NOT met"} ${goal}`);
}
if (summary.missesInTimedLoops !== 0) {
  throw new Error(`the pool missed ${summary.missesInTimedLoops} times in timed loops`);
}
