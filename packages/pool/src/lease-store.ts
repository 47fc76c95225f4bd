import type { ArenaLeaseStats, BucketPoolStats, SizePolicy } from "@mlx/bucket-pool";
import type { DeviceMemory, NativeAllocation } from "./device-memory.js";

/**
 * What a buffer's lease reads of the memory it holds: a pool slot (a native allocation of its
 * own, `offset` absent) or a range of an arena slab (`handle` is the slab, `offset` the range's
 * start in it). `generation` moves on when the lease ends.
 */
export interface LeaseSlot {
  generation: number;
  readonly capacity: number;
  readonly handle: NativeAllocation;
  readonly offset?: number;
  /** Under `strictViews`: the live lease's own view of exactly its bytes (lease-views.ts); else null. */
  leaseView: ArrayBuffer | null;
}

/**
 * What `MlxBufferPool` needs of the store behind it: `BucketPool` (size classes, one native
 * allocation per buffer) or `ArenaPool` (ranges of slabs). Chosen once, at construction.
 */
export interface LeaseStore {
  readonly policy: SizePolicy;
  readonly freeLength: number;
  readonly freeByteLength: number;
  readonly inUseLength: number;
  readonly heldByteLength: number;
  acquirePrechecked(byteLength: number, source: DeviceMemory, inBatch?: boolean): LeaseSlot;
  release(slot: LeaseSlot, generation: number, after?: PromiseLike<unknown>): void;
  reset(after?: PromiseLike<unknown>): void;
  clear(): number;
  dispose(): void;
  /**
   * Several leases decided together: admission before any change, then `finish` (the residency
   * commit); if anything throws, the store is as it was (but for what eviction freed).
   */
  acquireBatchPrechecked(
    byteLengths: readonly number[],
    source: DeviceMemory,
    finish?: () => void,
  ): LeaseSlot[];
  /** Calls `fn` with every live lease's slot. */
  forEachInUse(fn: (slot: LeaseSlot) => void): void;
  stats(): BucketPoolStats & { arena?: ArenaLeaseStats };
  /** Frees free memory until `bytes` are gone or nothing is free; the bytes freed. */
  evictFree(bytes: number): number;
  /** Sets the in-use and held peaks to the current values. */
  resetPeaks(): void;
}
