import { BucketPool, type SizePolicy } from "@mlx/bucket-pool";
import type { GpuLeaseStore } from "./lease-store.js";

/**
 * The size-class store: free lists keyed by (size class, usage), with the usage as the pool's
 * source, so a buffer only ever serves requests of its own usage flags.
 */
export interface SlotStoreOptions {
  allocate(capacity: number, usage: number): GPUBuffer;
  destroy(buffer: GPUBuffer): void;
  policy: SizePolicy;
  maxFreeBytes: number | undefined;
  maxHeldBytes: number | undefined;
  maxBuffers: number | undefined;
}

export function slotStore(options: SlotStoreOptions): GpuLeaseStore {
  return new BucketPool<GPUBuffer, number>({
    label: "WebGpuBufferPool",
    allocate: (capacity, usage) => options.allocate(capacity, usage),
    destroy: (buffer) => options.destroy(buffer),
    policy: options.policy,
    maxFreeBytes: options.maxFreeBytes,
    maxHeldBytes: options.maxHeldBytes,
    maxBuffers: options.maxBuffers,
  });
}
