import type { SizePolicy } from "@mlx/bucket-pool";

/** Options of `MlxBufferPool`. Every limit is off unless set, except `maxBuffers`. */
export interface PoolOptions {
  /** Size classes: a policy object or its name (`"pow2"`, the seed's, by default; `"pow2-div4"`...). */
  policy?: SizePolicy | string;
  /** Cache limit: free bytes above it are freed now, least recently used first. */
  maxFreeBytes?: number;
  /** Most buffers the pool may own; past it, `MEMORY_LIMIT`. Default 250000. */
  maxBuffers?: number;
  /** Most bytes (capacities) the pool may own; past it, `MEMORY_LIMIT`. */
  maxHeldBytes?: number;
  /** Let a free buffer of a larger class serve a request, up to this ratio of capacities. */
  reuseLargerRatio?: number;
  /**
   * Cache limit relative to demand: before a fresh allocation, free buffers are freed (least
   * recently used first) so that held bytes stay within this multiple of the in-use peak so far.
   */
  maxHeldRatio?: number;
  /**
   * Debug: fill recycled memory with this byte (true = 0xa5) when a buffer returns to the pool,
   * so reads through stale views show garbage instead of plausible data. Default: off, or
   * `MLX_POOL_POISON=1`.
   */
  poison?: boolean | number;
}

/** Fences for `reset` and `release`: recycle only after the GPU work settles. */
export interface FenceOptions {
  /** A promise (or thenable) that settles when the GPU work using the buffers is done. */
  after?: PromiseLike<unknown>;
}
