import type { ArenaLeaseStats, BucketPoolStats } from "@mlx/bucket-pool";

/** What `MlxBufferPool.stats()` reports. Bytes of in-use buffers are requested lengths. */
export interface PoolStats extends BucketPoolStats {
  /** Name of the size policy. */
  policy: string;
  /** Commits of the residency set made for this pool's buffers (0 without residency). */
  residencyCommits: number;
  /**
   * Under `policy: "arena"`: slabs and zeroing (held counts and bytes above are slabs then;
   * `misses` are allocations that made a slab).
   */
  arena?: ArenaLeaseStats;
}
