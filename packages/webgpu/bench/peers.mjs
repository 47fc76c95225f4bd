// The peers' own buffer managers, loaded standalone in Node (bench only).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Both packages guard their package.json with `exports`: find them as pnpm links them. */
const modules = fileURLToPath(new URL("../node_modules/", import.meta.url));

/** TensorFlow.js's BufferManager: its compiled file has no imports, so it loads as it ships. */
export async function loadTfjsBufferManager() {
  const path = join(modules, "@tensorflow/tfjs-backend-webgpu/dist/buffer_manager.js");
  const { BufferManager } = await import(pathToFileURL(path).href);
  return BufferManager;
}

/**
 * ONNX Runtime Web's GpuDataManager: shipped as TypeScript source inside the package
 * (lib/wasm/jsep/webgpu/gpu-data-manager.ts) and compiled into its wasm bundle. esbuild compiles
 * that very file, with its two small imports (logging), into one module here.
 */
export async function loadOrtGpuDataManager() {
  const { build } = await import("esbuild");
  const entry = join(modules, "onnxruntime-web/lib/wasm/jsep/webgpu/gpu-data-manager.ts");
  const outfile = join(mkdtempSync(join(tmpdir(), "mlx-ort-")), "gpu-data-manager.mjs");
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    outfile,
    logLevel: "error",
  });
  const { createGpuDataManager } = await import(pathToFileURL(outfile).href);
  return createGpuDataManager;
}
