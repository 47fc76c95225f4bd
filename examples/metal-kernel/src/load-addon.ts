import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The example addon's kernel: its own queue, and SAXPY (y = a * x + y) encoded on it. */
export interface SaxpyKernel {
  /** The addon's `id<MTLCommandQueue>` as a bigint: what `device.fence` and `attachResidency` take. */
  readonly queue: bigint;
  /** Commits y = a * x + y over `n` floats on {@link queue}; returns before the GPU runs it. */
  encode(x: bigint, xOffset: number, y: bigint, yOffset: number, a: number, n: number): void;
  dispose(): void;
}

interface MetalKernelAddon {
  SaxpyKernel: new (device: bigint, source: string) => SaxpyKernel;
}

/** Where cmake-js puts the addon: `build/` for macOS, `build-fake/` for the fake Metal runtime. */
export function addonPath(buildDir = process.env.MLX_EXAMPLE_BUILD_DIR ?? "build"): string {
  return fileURLToPath(new URL(`../${buildDir}/Release/metal_kernel.node`, import.meta.url));
}

/** Loads the addon from {@link addonPath}. */
export function loadMetalKernelAddon(path = addonPath()): MetalKernelAddon {
  return createRequire(import.meta.url)(path) as MetalKernelAddon;
}

/** The MSL source of the kernel, compiled at run time by the addon. */
export const SAXPY_SOURCE_URL = new URL("./saxpy.metal", import.meta.url);
