// What fence support costs the hot path when no fence is given: alloc on a hit + reset, with the
// current pool and with the same pool built without fences (bench/without-fences.patch), side by
// side in one process, alternating samples so drift hits both alike.
// Run: pnpm --filter @mlx/bucket-pool build && node bench/fence-overhead.bench.mjs [--json]
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { measure } from "../../../bench/measure.mjs";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const work = mkdtempSync(join(packageDir, ".bench-without-fences-"));
let without;
try {
  cpSync(join(packageDir, "src"), join(work, "src"), { recursive: true });
  execFileSync("patch", ["-p0", "-s", "-i", join(packageDir, "bench/without-fences.patch")], {
    cwd: work,
  });
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({
      extends: "../../../tsconfig.base.json",
      compilerOptions: {
        outDir: "dist",
        rootDir: "src",
        types: [],
        declaration: false,
        declarationMap: false,
        noUnusedLocals: false,
      },
      include: ["src"],
    }),
  );
  execFileSync(process.execPath, [
    join(packageDir, "../../node_modules/typescript/bin/tsc"),
    "-p",
    work,
  ]);
  without = await import(pathToFileURL(join(work, "dist/index.js")).href);
} finally {
  rmSync(work, { recursive: true, force: true });
}
const withFences = await import("../dist/index.js");

const classes = [8, 512, 1536, 3072, 6144, 98304];
const sizes = Array.from({ length: 275 }, (_, i) => classes[i % classes.length]);
const rounds = 200;

function poolOf(module) {
  const pool = new module.BucketPool({ allocate: (capacity) => ({ capacity }), destroy() {} });
  for (const n of sizes) pool.acquire(n);
  pool.reset();
  return pool;
}
function sampler(pool) {
  return () => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < sizes.length; i++) pool.acquire(sizes[i]);
      pool.reset();
    }
    return rounds * sizes.length;
  };
}

const pools = { with: poolOf(withFences), without: poolOf(without) };
const results = { with: [], without: [] };
for (let k = 0; k < 10; k++) {
  for (const name of k % 2 === 0 ? ["with", "without"] : ["without", "with"]) {
    results[name].push(measure(sampler(pools[name]), { warmup: 3, samples: 9 }).median);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = {
  nsPerAllocWithFenceSupport: median(results.with),
  nsPerAllocWithoutFenceSupport: median(results.without),
  spreadWith: [Math.min(...results.with), Math.max(...results.with)],
  spreadWithout: [Math.min(...results.without), Math.max(...results.without)],
};
summary.ratio = summary.nsPerAllocWithFenceSupport / summary.nsPerAllocWithoutFenceSupport;
if (process.argv.includes("--json")) console.log(JSON.stringify(summary));
else {
  console.log(
    `alloc hit + reset share, with fence support:    ${summary.nsPerAllocWithFenceSupport.toFixed(1)} ns (range ${summary.spreadWith.map((x) => x.toFixed(1)).join("-")})`,
  );
  console.log(
    `alloc hit + reset share, without fence support: ${summary.nsPerAllocWithoutFenceSupport.toFixed(1)} ns (range ${summary.spreadWithout.map((x) => x.toFixed(1)).join("-")})`,
  );
  console.log(`ratio with/without: ${summary.ratio.toFixed(3)}`);
}
