/** Counters of a pool. Bytes of leases are requested lengths; held and free bytes are capacities. */
export interface BucketPoolStats {
  /** Leases handed out and not yet released or reset. */
  inUseCount: number;
  /** Sum of the requested lengths of live leases. */
  inUseBytes: number;
  /** Free slots ready for reuse. */
  freeCount: number;
  /** Sum of the capacities of free slots. */
  freeBytes: number;
  /** Slots out of circulation until their fence settles. */
  pendingCount: number;
  pendingBytes: number;
  /** Slots whose fence rejected: kept out of circulation until `clear` or `dispose`. */
  quarantinedCount: number;
  quarantinedBytes: number;
  /** Every slot the pool owns (in use, free, pending). */
  heldCount: number;
  /** Sum of the capacities of every slot the pool owns. */
  heldBytes: number;
  peakInUseCount: number;
  peakInUseBytes: number;
  peakHeldBytes: number;
  /** Acquisitions served from a free list. */
  hits: number;
  /** Acquisitions that needed a fresh allocation. */
  misses: number;
  releases: number;
  resets: number;
  /** Free slots destroyed to respect `maxFreeBytes` or a held limit. */
  evictions: number;
  /** Slots destroyed by `clear`, eviction or `dispose`. */
  destroyed: number;
  /** Errors thrown while a fence settled (see `BucketPool.lastFenceError`). */
  fenceErrors: number;
}
