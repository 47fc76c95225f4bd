// A large pool miss against the device's own allocation of the same size (residency off), run
// under --trace-gc: the miss must cost about what the native allocation costs, and must not
// make V8 run full garbage collections. Medians over several processes.
// Run: pnpm turbo run build --filter=@mlx/cli... && node bench/large-miss.mjs [--processes 5] [--mib 64] [--rev main] [--json]
// With --rev, the same processes also run against that git revision's build, for comparison.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildRevision } from "./build-revision.mjs";
import { acrossProcesses, arg, machine, runProcesses } from "./processes.mjs";

const processes = Number(arg("--processes", "5"));
const passArgs = ["--mib", arg("--mib", "64"), "--backend", arg("--backend", "host")];
const script = fileURLToPath(new URL("./large-miss-process.mjs", import.meta.url));
// The addon this checkout built, or the one MLX_NATIVE_ADDON names (the GPU machine's bundle).
const addon =
  process.env.MLX_NATIVE_ADDON ??
  fileURLToPath(new URL("../packages/metal-native/build/Release/mlx_native.node", import.meta.url));

/** Runs the processes against one build of @mlx/pool (this checkout's when `pool` is undefined). */
function summarise(pool) {
  const args = pool === undefined ? passArgs : [...passArgs, "--pool", pool];
  const runs = runProcesses(script, args, processes, {
    nodeFlags: ["--trace-gc"],
    env: { ...process.env, MLX_NATIVE_ADDON: addon },
  });
  const results = runs.map((r) => r.result);
  // --trace-gc prints one line per collection; full ones say "Mark-Compact".
  const traced = runs.map((r) => r.stdout.filter((line) => line.includes("Mark-Compact")).length);
  const over = (pick) => acrossProcesses(results.map(pick));
  return {
    poolMissNs: over((r) => r.poolMissNs),
    directNs: over((r) => r.directNs),
    missOverDirect: over((r) => r.missOverDirect),
    fullGcsTraced: acrossProcesses(traced),
    fullGcsObserved: over((r) => r.fullGcs),
    allocationsPerProcess: results[0].poolMisses * 2,
  };
}

const rev = arg("--rev", undefined);
const summary = {
  machine: machine(),
  backend: arg("--backend", "host"),
  mib: Number(passArgs[1]),
  processes,
  current: summarise(undefined),
};
if (rev !== undefined) {
  const work = mkdtempSync(join(tmpdir(), "mlx-large-miss-"));
  try {
    summary.rev = rev;
    summary.other = summarise(buildRevision(rev, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
summary.goals = {
  "miss <= 1.5x allocBuffer": summary.current.missOverDirect.median <= 1.5,
  "no full GC": summary.current.fullGcsTraced.max === 0,
};
if (process.argv.includes("--json")) console.log(JSON.stringify(summary, null, 2));
else {
  const s = (x, k = 1, unit = "") =>
    `${(x.median / k).toFixed(2)}${unit} (range ${(x.min / k).toFixed(2)}-${(x.max / k).toFixed(2)})`;
  console.log(
    `${summary.machine}; backend ${summary.backend}; medians over ${processes} processes`,
  );
  const builds = [["this checkout", summary.current]];
  if (summary.other !== undefined) builds.push([rev, summary.other]);
  for (const [name, b] of builds) {
    console.log(`${name}:`);
    console.log(`  ${summary.mib} MiB pool miss:          ${s(b.poolMissNs, 1e3, " µs")}`);
    console.log(`  device.allocBuffer, same size: ${s(b.directNs, 1e3, " µs")}`);
    console.log(`  miss / allocBuffer:            ${s(b.missOverDirect)}x`);
    console.log(
      `  full GCs per process (--trace-gc), over ${b.allocationsPerProcess} allocations: ${s(b.fullGcsTraced)}`,
    );
  }
  for (const [goal, met] of Object.entries(summary.goals))
    console.log(`  ${met ? "met    " : "NOT met"} ${goal}`);
}
