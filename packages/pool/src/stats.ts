import type { ArenaLeaseStats, BucketPoolStats } from "@mlx/bucket-pool";

/** What `stats().arena` reports: the arena's slabs and zeroing, and how its slabs are allocated. */
export interface PoolArenaStats extends ArenaLeaseStats {
  /**
   * `"untracked"` when `arena.untrackedSlabs` allocates every slab with Metal's hazard tracking
   * off, else `"tracked"`. On host and cuda, which track no hazards, it names the option only.
   */
  slabHazardTracking: "tracked" | "untracked";
}

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
  arena?: PoolArenaStats;
}
