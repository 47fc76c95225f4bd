import type { SizePolicy } from "./size-policy.js";

/** How a {@link BucketPool} makes, frees and recycles its handles, and its limits. */
export interface BucketPoolOptions<H, Source = number> {
  /**
   * Makes a fresh handle of exactly `capacity` bytes from `source` (what `acquire` was given).
   * `inBatch` is `acquire`'s: true when the caller finishes several acquires together. May
   * throw; the pool is then unchanged.
   */
  allocate(capacity: number, source: Source, inBatch: boolean): H;
  /** Frees a handle now. Called by `clear`, eviction and `dispose`; must not throw. */
  destroy(handle: H, capacity: number): void;
  /** Called after a fence settled and its slots moved (to free lists, quarantine or destruction). */
  onFenceSettled?: (() => void) | undefined;
  /** Called when a slot returns to circulation, e.g. to poison recycled memory in debug runs. */
  onRecycle?: ((handle: H, capacity: number) => void) | undefined;
  /** How error messages name this pool (default `"BucketPool"`); a wrapper gives its own name. */
  label?: string | undefined;
  /** Size classes; powers of two (`pow2`) by default. */
  policy?: SizePolicy | undefined;
  /** Cache limit: free bytes above it are freed, least recently used first. Default: no limit. */
  maxFreeBytes?: number | undefined;
  /** Most slots the pool may own at once. Default {@link DEFAULT_MAX_BUFFERS}. */
  maxBuffers?: number | undefined;
  /** Most bytes (capacities) the pool may own at once. Default: no limit. */
  maxHeldBytes?: number | undefined;
  /**
   * On a miss in the exact class, reuse a free slot of a larger class whose capacity is at most
   * this many times the wanted one (1, the default: exact classes only).
   */
  reuseLargerRatio?: number | undefined;
  /**
   * Cache limit relative to demand: before a fresh allocation, free buffers are freed (least
   * recently used first) until held bytes, with the new one, stay within this multiple of the
   * in-use peak so far (requested bytes, counting this request). Never fails: in-use buffers are
   * never touched. Default: no limit. Costs nothing on a hit, a release or a reset.
   */
  maxHeldRatio?: number | undefined;
}

/**
 * Default cap on live slots: far below Metal's limit of 499000 resources per residency set, which
 * a caller that never reset hit at about 960k buffers before the process aborted.
 */
export const DEFAULT_MAX_BUFFERS = 250_000;
