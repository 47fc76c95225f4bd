import type { SizePolicy } from "./size-policy.js";

/**
 * The limits of a pool, each off (or at its default) unless set. Every layer that wraps a
 * `BucketPool` takes these as they are, so a new limit is added here and nowhere else.
 */
export interface PoolLimits {
  /** Cache limit: free bytes above it are freed now, least recently used first. Default: no limit. */
  maxFreeBytes?: number | undefined;
  /** Most buffers (slots) the pool may own at once; past it, `MEMORY_LIMIT`. Default 250000. */
  maxBuffers?: number | undefined;
  /** Most bytes (capacities) the pool may own at once; past it, `MEMORY_LIMIT`. Default: no limit. */
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

/** The name of every limit, in one list. */
export const LIMIT_NAMES = [
  "maxFreeBytes",
  "maxBuffers",
  "maxHeldBytes",
  "reuseLargerRatio",
  "maxHeldRatio",
] as const satisfies readonly (keyof PoolLimits)[];

/**
 * Every limit's default, in one place. `maxBuffers` stays far below Metal's limit of 499000
 * resources per residency set, which a caller that never reset hit at about 960k buffers
 * before the process aborted.
 */
export const DEFAULT_LIMITS: Readonly<Required<{ [K in keyof PoolLimits]: number }>> =
  Object.freeze({
    maxFreeBytes: Number.POSITIVE_INFINITY,
    maxBuffers: 250_000,
    maxHeldBytes: Number.POSITIVE_INFINITY,
    reuseLargerRatio: 1,
    maxHeldRatio: Number.POSITIVE_INFINITY,
  });

/** The smallest value each limit accepts. */
export const LIMIT_MINIMUMS: Readonly<Required<{ [K in keyof PoolLimits]: number }>> =
  Object.freeze({
    maxFreeBytes: 0,
    maxBuffers: 1,
    maxHeldBytes: 1,
    reuseLargerRatio: 1,
    maxHeldRatio: 1,
  });

/** Default cap on live slots; see {@link DEFAULT_LIMITS}. */
export const DEFAULT_MAX_BUFFERS = DEFAULT_LIMITS.maxBuffers;

/** The limits set in `options`, and nothing else of it. */
export function limitsOf(options: PoolLimits): PoolLimits {
  const limits: PoolLimits = {};
  for (const name of LIMIT_NAMES) limits[name] = options[name];
  return limits;
}

/** How a {@link BucketPool} makes, frees and recycles its handles, and its limits. */
export interface BucketPoolOptions<H, Source = number> extends PoolLimits {
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
  /**
   * Checks a fresh allocation before anything changes (before eviction too), e.g. against the
   * source's largest buffer; throws to refuse it. Never called for a reused slot.
   */
  admitFresh?: ((capacity: number, byteLength: number, source: Source) => void) | undefined;
  /** Called when a slot returns to circulation, e.g. to poison recycled memory in debug runs. */
  onRecycle?: ((handle: H, capacity: number) => void) | undefined;
  /** How error messages name this pool (default `"BucketPool"`); a wrapper gives its own name. */
  label?: string | undefined;
  /** Size classes; powers of two (`pow2`) by default. */
  policy?: SizePolicy | undefined;
}
