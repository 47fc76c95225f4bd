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
  /** Sum of the capacities of slots waiting on a fence. */
  pendingBytes: number;
  /** Slots whose fence rejected: kept out of circulation until `clear` or `dispose`. */
  quarantinedCount: number;
  /** Sum of the capacities of quarantined slots. */
  quarantinedBytes: number;
  /** Every slot the pool owns (in use, free, pending). */
  heldCount: number;
  /** Sum of the capacities of every slot the pool owns. */
  heldBytes: number;
  /** The highest `inUseCount` since the pool was made (or its peaks were reset). */
  peakInUseCount: number;
  /** The highest `inUseBytes` (requested lengths) since the pool was made (or its peaks were reset). */
  peakInUseBytes: number;
  /** The highest `heldBytes` (capacities) since the pool was made (or its peaks were reset). */
  peakHeldBytes: number;
  /** Acquisitions served from a free list. */
  hits: number;
  /** Acquisitions that needed a fresh allocation. */
  misses: number;
  /** Leases returned one at a time (`release`). */
  releases: number;
  /** Arena resets (`reset`), each returning every live lease. */
  resets: number;
  /** Free slots destroyed to respect `maxFreeBytes` or a held limit. */
  evictions: number;
  /** Slots destroyed by `clear`, eviction or `dispose`. */
  destroyed: number;
  /** Errors thrown while a fence settled (see `BucketPool.lastFenceError`). */
  fenceErrors: number;
}
