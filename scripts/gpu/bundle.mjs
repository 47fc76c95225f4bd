// Bundles the GPU test suites and benchmarks into plain .mjs files under .gpu/, so the GPU machine
// (which has no Node toolchain) needs only a `node` binary and the addon to run them.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import {
  compileOrtGpuDataManager,
  TFJS_BUFFER_MANAGER,
} from "../../packages/webgpu/bench/peers.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, ".gpu");
const testsOut = join(out, "tests");
rmSync(testsOut, { recursive: true, force: true });
mkdirSync(testsOut, { recursive: true });

/** Test files that make sense on a GPU machine: the pool's whole suite and the native layer's. */
const suites = ["packages/pool/test", "packages/pool/test/soak", "packages/metal-native/test"];
// Spawn a package-local node process against node_modules, which the GPU machine does not have.
// Tests that read package sources or compile with this machine's toolchain (no GPU involved):
// the GPU machine has neither, and CI runs them here.
const skipped = new Set([
  "readme.test.ts",
  "error-codes.test.ts",
  "interop-header.test.ts",
  "published-types.test.ts",
]);
const entryPoints = suites.flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".test.ts") && !skipped.has(f))
    .map((f) => ({
      in: join(root, dir, f),
      out: `${dir.split("/")[1]}-${f.replace(/\.test\.ts$/, "")}`,
    })),
);
// The CUDA example: its addon travels prebuilt (MLX_CUDA_EXAMPLE_ADDON, MLX_EXAMPLE_PREBUILT=1).
entryPoints.push({
  in: join(root, "examples/cuda-kernel/test/cuda-kernel.test.ts"),
  out: "example-cuda-kernel",
});

await build({
  entryPoints,
  outdir: testsOut,
  outExtension: { ".js": ".test.mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  alias: { vitest: join(root, "scripts/gpu/vitest-shim.ts") },
  // Some dependencies are CommonJS; give them a `require`.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
});

await build({
  entryPoints: [{ in: join(root, "scripts/gpu/gpu-bench.ts"), out: "gpu-bench" }],
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
});
// The hot-path benchmark (bench/decode-step.mjs and the process it spawns) with the peers'
// buffer managers prepared as files (MLX_BENCH_PEERS), for figures from a quiet host, the
// inlining check (bench/inlining.mjs and its probe) for the backends there, and the large miss.
const benchOut = join(out, "bench");
rmSync(benchOut, { recursive: true, force: true });
mkdirSync(join(benchOut, "peers"), { recursive: true });
await build({
  entryPoints: [
    "decode-step",
    "decode-step-process",
    "inlining",
    "inlining-probe",
    "large-miss",
    "large-miss-process",
  ].map((name) => ({
    in: join(root, `bench/${name}.mjs`),
    out: name,
  })),
  outdir: benchOut,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["esbuild"],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
});
copyFileSync(TFJS_BUFFER_MANAGER, join(benchOut, "peers/buffer_manager.js"));
await compileOrtGpuDataManager(join(benchOut, "peers"));
console.log(
  `bundled ${entryPoints.length} test files into ${testsOut}, the benchmarks into ${benchOut}`,
);
