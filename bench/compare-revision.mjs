// The pooled hot path (alloc on a hit + reset, handles kept) of this checkout against another
// git revision (default: main), side by side: each of several processes loads both builds and
// alternates their samples, so drift hits both alike. Both use this checkout's native addon.
// Nothing here is hand-maintained: the other revision is built from `git archive` each run.
// Run: pnpm turbo run build --filter=@mlx/pool... && node bench/compare-revision.mjs [--rev main] [--processes 5] [--handles keep|discard|batch|id] [--reset plain|fenced] [--json]
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildRevision } from "./build-revision.mjs";
import { quantile } from "./measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const rev = arg("--rev", "main");
const processes = Number(arg("--processes", "5"));
const handles = arg("--handles", "keep");
const reset = arg("--reset", "plain");
const addon = join(root, "packages/metal-native/build/Release/mlx_native.node");
if (!existsSync(addon) || !existsSync(join(root, "packages/pool/dist/index.js"))) {
  throw new Error("build first: pnpm turbo run build --filter=@mlx/pool...");
}

const work = mkdtempSync(join(tmpdir(), "mlx-compare-"));
try {
  const other = buildRevision(rev, work);
  const current = join(root, "packages/pool/dist/index.js");
  const ratios = [];
  const runs = [];
  for (let p = 0; p < processes; p++) {
    const out = execFileSync(
      process.execPath,
      [join(root, "bench/hot-path-sample.mjs"), other, current, String(p % 2), handles, reset],
      { env: { ...process.env, MLX_NATIVE_ADDON: addon }, encoding: "utf8" },
    );
    const run = JSON.parse(out.trim().split("\n").at(-1));
    runs.push(run);
    ratios.push(run.ratio);
  }
  const summary = {
    rev,
    handles,
    reset,
    backend: runs[0].backend,
    allocsPerStep: runs[0].allocsPerStep,
    processes,
    nsPerAllocOther: runs.map((r) => r.otherNs),
    nsPerAllocCurrent: runs.map((r) => r.currentNs),
    ratioCurrentOverOther: ratios,
    medianRatio: quantile(ratios, 0.5),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
  };
  if (process.argv.includes("--json")) console.log(JSON.stringify(summary, null, 2));
  else {
    for (const r of runs) {
      console.log(
        `process: ${rev} ${r.otherNs.toFixed(1)} ns, this checkout ${r.currentNs.toFixed(1)} ns per alloc (hit + reset share), ratio ${r.ratio.toFixed(3)}`,
      );
    }
    console.log(
      `this checkout / ${rev}: median ratio ${summary.medianRatio.toFixed(3)} over ${processes} processes (range ${summary.ratioRange.map((x) => x.toFixed(3)).join("-")})`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
