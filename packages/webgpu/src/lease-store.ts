import type { BucketPoolStats, Fence } from "@mlx/bucket-pool";

/**
 * What a lease holds: a GPUBuffer of its own (`offset` absent) or a range of a slab (`handle` is
 * the slab, `offset` where the range starts).
 */
export interface GpuLease {
  readonly generation: number;
  readonly capacity: number;
  readonly handle: GPUBuffer;
  readonly offset?: number;
}

/** The store behind a pool: `SlotStore` (a buffer per lease) or `ArenaSlotStore` (slab ranges). */
export interface GpuLeaseStore {
  readonly policyName: string;
  acquire(byteLength: number, usage: number): GpuLease;
  isLive(slot: GpuLease, generation: number): boolean;
  release(slot: GpuLease, generation: number, after: Fence | undefined): void;
  reset(after: Fence | undefined): void;
  clear(): number;
  dispose(): void;
  stats(): BucketPoolStats;
}
