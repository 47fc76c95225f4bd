// The peers' own buffer managers, loaded standalone in Node (bench only).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Both packages guard their package.json with `exports`: find them as pnpm links them, or, on a
 * machine without node_modules, in MLX_BENCH_PEERS (buffer_manager.js, gpu-data-manager.mjs).
 */
const modules = fileURLToPath(new URL("../node_modules/", import.meta.url));
const prepared = process.env.MLX_BENCH_PEERS;

/** TensorFlow.js's buffer_manager.js in this checkout: it has no imports and loads as shipped. */
export const TFJS_BUFFER_MANAGER = join(
  modules,
  "@tensorflow/tfjs-backend-webgpu/dist/buffer_manager.js",
);

export async function loadTfjsBufferManager() {
  const path = prepared === undefined ? TFJS_BUFFER_MANAGER : join(prepared, "buffer_manager.js");
  const { BufferManager } = await import(pathToFileURL(path).href);
  return BufferManager;
}

/**
 * ONNX Runtime Web's GpuDataManager: shipped as TypeScript source inside the package
 * (lib/wasm/jsep/webgpu/gpu-data-manager.ts) and compiled into its wasm bundle. esbuild compiles
 * that very file, with its two small imports (logging), into one module.
 */
export async function loadOrtGpuDataManager() {
  const path =
    prepared === undefined
      ? await compileOrtGpuDataManager(mkdtempSync(join(tmpdir(), "mlx-ort-")))
      : join(prepared, "gpu-data-manager.mjs");
  const { createGpuDataManager } = await import(pathToFileURL(path).href);
  return createGpuDataManager;
}

/** Compiles ORT's gpu-data-manager.ts into `dir`; returns the module's path. */
export async function compileOrtGpuDataManager(dir) {
  const { build } = await import("esbuild");
  const outfile = join(dir, "gpu-data-manager.mjs");
  await build({
    entryPoints: [join(modules, "onnxruntime-web/lib/wasm/jsep/webgpu/gpu-data-manager.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    outfile,
    logLevel: "error",
  });
  return outfile;
}
