// `pnpm --filter @mlx/webgpu bench`: several processes of one-process.mjs; per-process medians,
// then the median and spread (min-max) of those across processes, and in-process ratios.
import { execFileSync } from "node:child_process";
import os from "node:os";

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 5);
const script = new URL("./one-process.mjs", import.meta.url).pathname;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

const runs = [];
for (let p = 0; p < PROCESSES; p++) {
  const out = execFileSync(process.execPath, ["--expose-gc", script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const run = JSON.parse(out.trim().split("\n").pop());
  if (run.skipped) {
    console.log(`bench skipped: ${run.skipped}`);
    process.exit(0);
  }
  runs.push(run);
}
const names = Object.keys(runs[0].nsPerOp);
const base = "@mlx/webgpu";
const perProcess = runs.map((r) => Object.fromEntries(names.map((n) => [n, median(r.nsPerOp[n])])));
console.log(
  `machine: ${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores), Node ${process.version}, adapter: ${runs[0].adapter}`,
);
console.log(
  `trace: decode-mistral-small, ${runs[0].allocsPerStep} allocs per decode step; ${PROCESSES} processes x ${runs[0].nsPerOp[base].length} rounds (after warm-up)`,
);
console.log("");
console.log(
  "| allocator | ns per alloc+release (median of process medians) | spread across processes | x @mlx/webgpu (median in-process ratio) |",
);
console.log("|---|---:|---:|---:|");
for (const n of names) {
  const meds = perProcess.map((p) => p[n]);
  const ratios = perProcess.map((p) => p[n] / p[base]);
  console.log(
    `| ${n} | ${median(meds).toFixed(0)} | ${Math.min(...meds).toFixed(0)}-${Math.max(...meds).toFixed(0)} | ${median(ratios).toFixed(1)} |`,
  );
}
