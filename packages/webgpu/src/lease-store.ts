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

/**
 * The store behind a pool: a `BucketPool` (a buffer per lease, `slotStore`) or an `ArenaPool`
 * (slab ranges, `arenaSlotStore`), used as they are: both already have these methods.
 */
export interface GpuLeaseStore {
  readonly policy: { readonly name: string };
  /** `byteLength` already checked. */
  acquirePrechecked(byteLength: number, usage: number): GpuLease;
  isLive(slot: GpuLease, generation: number): boolean;
  release(slot: GpuLease, generation: number, after: Fence | undefined): void;
  reset(after: Fence | undefined): void;
  clear(): number;
  dispose(): void;
  stats(): BucketPoolStats;
}
