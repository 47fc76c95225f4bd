import type { PoolLimits } from "../options.js";
import type { BucketPoolStats } from "../stats.js";
import type { SlabArenaOptions } from "./arena-options.js";

/** How an {@link ArenaPool} gets and frees slabs, its arena options and its limits. */
export interface ArenaPoolOptions<S, Source>
  extends PoolLimits,
    Omit<SlabArenaOptions<S>, "allocateSlab" | "freeSlab" | "maxHeldBytes"> {
  /** Makes one native allocation of exactly `bytes` bytes from `source`. May throw. */
  allocateSlab(bytes: number, source: Source, inBatch: boolean): S;
  /** Frees a slab now (clear, a miss that replaces entirely free slabs, dispose). */
  freeSlab(slab: S, bytes: number): void;
  /** Called when a range returns to its arena, e.g. to poison recycled memory in debug runs. */
  onRecycle?: ((slab: S, offset: number, size: number) => void) | undefined;
  /** Called after a fence settled and its ranges moved on. */
  onFenceSettled?: (() => void) | undefined;
  /** How error messages name this pool (default `"ArenaPool"`). */
  label?: string | undefined;
}

/**
 * What sub-allocation adds to a pool's counters. Zeroing: memory never handed out before reads as
 * the slab's fresh (zero-filled) memory; a recycled range is not re-zeroed (`"fresh-only"`).
 */
export interface ArenaLeaseStats {
  /** Slabs (native allocations) held now, the most at once per source summed, and at the held peak. */
  slabCount: number;
  peakSlabCount: number;
  slabCountAtPeakHeld: number;
  /** Slabs made since the pool was made. */
  slabAllocations: number;
  /** Leases of ranges never handed out before (they read as zero), and of recycled ranges. */
  freshAllocations: number;
  recycledAllocations: number;
  zeroing: "fresh-only";
}

/** `BucketPoolStats` of an arena pool (held bytes are slab bytes, `heldCount` slabs) and its own. */
export interface ArenaPoolStats extends BucketPoolStats {
  arena: ArenaLeaseStats;
}
