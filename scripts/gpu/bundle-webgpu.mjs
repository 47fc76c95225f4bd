// Bundles what the WebGPU run needs into .gpu-webgpu/: @mlx/webgpu's test suites (over the
// vitest shim), its benchmark, and the mlx-pool CLI (for the WGSL decode demo). Dawn's `webgpu`
// stays external: it loads dawn.node by a computed path, so it travels as a tiny node_modules.
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import {
  compileOrtGpuDataManager,
  TFJS_BUFFER_MANAGER,
} from "../../packages/webgpu/bench/peers.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const out = join(root, ".gpu-webgpu");
for (const dir of ["tests", "bench", "cli"])
  rmSync(join(out, dir), { recursive: true, force: true });
mkdirSync(join(out, "tests"), { recursive: true });
mkdirSync(join(out, "bench", "peers"), { recursive: true });

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["webgpu"],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
};

const testDir = join(root, "packages/webgpu/test");
// readme.test.ts spawns node against the package's node_modules, which the GPU machine lacks.
const tests = readdirSync(testDir).filter((f) => f.endsWith(".test.ts") && f !== "readme.test.ts");
await build({
  ...common,
  entryPoints: tests.map((f) => ({ in: join(testDir, f), out: f.replace(/\.test\.ts$/, "") })),
  outdir: join(out, "tests"),
  outExtension: { ".js": ".test.mjs" },
  alias: { vitest: join(root, "scripts/gpu/vitest-shim.ts") },
});

await build({
  ...common,
  entryPoints: [{ in: join(root, "packages/webgpu/bench/one-process.mjs"), out: "one-process" }],
  outdir: join(out, "bench"),
  outExtension: { ".js": ".mjs" },
  external: ["webgpu", "esbuild"],
});
copyFileSync(join(root, "packages/webgpu/bench/run.mjs"), join(out, "bench/run.mjs"));
copyFileSync(TFJS_BUFFER_MANAGER, join(out, "bench/peers/buffer_manager.js"));
await compileOrtGpuDataManager(join(out, "bench/peers"));

await build({
  ...common,
  entryPoints: [{ in: join(root, "packages/cli/src/bin.ts"), out: "mlx-pool" }],
  outdir: join(out, "cli"),
  outExtension: { ".js": ".mjs" },
});
console.log(`bundled ${tests.length} test files, the bench and the CLI into ${out}`);
