/**
 * Loads the test-only addon mlx_cuda_test.node (test/cuda/addon.cpp + kernels.cu), built next
 * to the main addon when the CUDA toolkit is found and MLX_CUDA_TEST_KERNELS is not 0. Not part
 * of @mlx/metal-native's API. Addresses are managed-memory addresses (bigint); for managed
 * memory the device pointer equals the host pointer. CUDA failures throw an Error whose `code`
 * is the CUDA error name.
 *
 * Where it looks: `MLX_CUDA_TEST_ADDON` (an absolute path), else
 * `build/Release/mlx_cuda_test.node` of this package, found from this file's location both in
 * the source tree and when bundled (e.g. into .gpu/tests by scripts/gpu/bundle.mjs, by walking
 * up to a directory that holds packages/metal-native).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface CudaTestAddon {
  /** Whether device 0 can run the test kernels (a probe kernel is launched); why not. */
  available(): { ok: boolean; reason: string | null };
  /** Writes `value` to every byte, asynchronously on `stream` (default: the test stream). */
  fill(address: bigint, byteLength: number, value: number, stream?: bigint): void;
  /** Sleeps on the GPU for `spinMicros`, then fills: work still running when JS moves on. */
  slowFill(
    address: bigint,
    byteLength: number,
    value: number,
    spinMicros: number,
    stream?: bigint,
  ): void;
  /** The addon's own non-blocking stream (a cudaStream_t), e.g. for `device.fence(stream)`. */
  testStream(): bigint;
  /** cudaDeviceSynchronize. */
  synchronize(): void;
  /** Whether work is pending on `stream` (default: the test stream): cudaStreamQuery. */
  streamBusy(stream?: bigint): boolean;
  /**
   * Bytes != value, counted by a kernel reading the memory on the GPU, ordered after earlier
   * work on `stream` (default: the test stream); waits for the result.
   */
  countNotEqual(address: bigint, byteLength: number, value: number, stream?: bigint): number;
  /** cudaPointerGetAttributes. */
  pointerInfo(address: bigint): {
    type: "managed" | "device" | "host" | "unregistered";
    device: number;
    devicePointer: bigint;
    hostPointer: bigint;
  };
  /**
   * cudaMemRangeGetAttribute: device ordinal, -1 = host (cudaCpuDeviceId), -2 = none
   * (cudaInvalidDeviceId). lastPrefetchLocation is where the last prefetch was requested to
   * go, finished or not.
   */
  rangeLocation(
    address: bigint,
    byteLength: number,
  ): { preferredLocation: number; lastPrefetchLocation: number };
  /**
   * Per round, allocates every size (cudaMallocManaged or cudaMalloc), then frees them all;
   * returns ns per alloc+free pair for each round. `zeroFill` also zeroes each allocation and
   * waits, as the cuda backend does for a fresh buffer.
   */
  rawAllocBench(
    kind: "managed" | "device",
    sizes: readonly number[],
    rounds: number,
    zeroFill?: boolean,
  ): number[];
}

export const CUDA_TEST_ADDON_FILE = "build/Release/mlx_cuda_test.node";

/** Where the addon is looked for, in order (existing or not). */
export function cudaTestAddonCandidates(): string[] {
  const fromEnv = process.env.MLX_CUDA_TEST_ADDON;
  if (fromEnv !== undefined && fromEnv !== "") return [fromEnv];
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, "../..", CUDA_TEST_ADDON_FILE)];
  for (let dir = here; ; dir = dirname(dir)) {
    candidates.push(join(dir, "packages/metal-native", CUDA_TEST_ADDON_FILE));
    if (dirname(dir) === dir) break;
  }
  return candidates;
}

/** The addon, or why it cannot be used here (not built, no driver, no GPU, ...). */
export function loadCudaTestAddon(): CudaTestAddon | { reason: string } {
  const candidates = cudaTestAddonCandidates();
  const path = candidates.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    return {
      reason:
        `mlx_cuda_test.node not found (looked at ${candidates[0]} and up the tree; set ` +
        "MLX_CUDA_TEST_ADDON or build @mlx/metal-native with the CUDA toolkit)",
    };
  }
  let addon: CudaTestAddon;
  try {
    addon = createRequire(import.meta.url)(path) as CudaTestAddon;
  } catch (error) {
    return { reason: `${path} did not load: ${(error as Error).message.split("\n")[0]}` };
  }
  const status = addon.available();
  if (!status.ok) return { reason: `no usable CUDA GPU: ${status.reason}` };
  return addon;
}
