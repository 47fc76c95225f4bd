import { ArenaPool, kDefaultMaxSlabBytes, kSlabRoundBytes } from "@mlx/bucket-pool";
import type { GpuLeaseStore } from "./lease-store.js";

/** What the arena store needs: how to make and free slabs, the device's limits, the pool's. */
export interface ArenaSlotStoreOptions {
  allocate(bytes: number, usage: number): GPUBuffer;
  destroy(buffer: GPUBuffer): void;
  /** Every binding offset is a multiple of this (the device's offset alignments, at least 256). */
  alignment: number;
  /** The device's `maxBufferSize`: no slab is larger. */
  maxBufferSize: number;
  maxFreeBytes: number | undefined;
  maxHeldBytes: number | undefined;
  maxBuffers: number | undefined;
}

/**
 * `policy: "arena"`: leases are ranges of a few large GPUBuffers (slabs), one arena per usage,
 * so a range only ever serves requests of its own usage flags. A lease binds its slab at
 * `byteOffset`, a multiple of the device's `minStorageBufferOffsetAlignment` and
 * `minUniformBufferOffsetAlignment`.
 */
export function arenaSlotStore(options: ArenaSlotStoreOptions): GpuLeaseStore {
  const largest = Math.floor(options.maxBufferSize / kSlabRoundBytes) * kSlabRoundBytes;
  return new ArenaPool<GPUBuffer, number>({
    label: "WebGpuBufferPool",
    alignment: options.alignment,
    maxSlabBytes: Math.min(kDefaultMaxSlabBytes, largest),
    minSlabBytes: Math.min(1 << 20, largest),
    allocateSlab: (bytes, usage) => options.allocate(bytes, usage),
    freeSlab: (buffer) => options.destroy(buffer),
    maxFreeBytes: options.maxFreeBytes,
    maxHeldBytes: options.maxHeldBytes,
    maxBuffers: options.maxBuffers,
  });
}
