import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The example addon: the user's stream and SAXPY launched on it (src/addon.cpp). */
export interface CudaKernelAddon {
  /** CUDA devices visible here; 0 without a driver or GPU. */
  deviceCount(): number;
  /** A non-blocking `cudaStream_t` on the ordinal `device`, as a bigint. */
  createStream(device: bigint): bigint;
  destroyStream(device: bigint, stream: bigint): void;
  /** y = a * x + y over `n` floats on `stream`, after `spinMicros` of GPU time; not waited for. */
  saxpy(
    device: bigint,
    stream: bigint,
    x: bigint,
    xOffset: number,
    y: bigint,
    yOffset: number,
    a: number,
    n: number,
    spinMicros: number,
  ): void;
  /** Whether work is still pending on `stream`. */
  streamBusy(device: bigint, stream: bigint): boolean;
}

/** `MLX_CUDA_EXAMPLE_ADDON` (a prebuilt copy, as the GPU machine gets), else where `cmake-js build` puts it. */
export const ADDON_PATH =
  process.env.MLX_CUDA_EXAMPLE_ADDON ??
  fileURLToPath(new URL("../build/Release/cuda_kernel.node", import.meta.url));

export function loadCudaKernelAddon(path = ADDON_PATH): CudaKernelAddon {
  return createRequire(import.meta.url)(path) as CudaKernelAddon;
}
