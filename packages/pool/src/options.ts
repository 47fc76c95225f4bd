import type { SizePolicy } from "@mlx/bucket-pool";
import type { ResidencyEvent } from "@mlx/residency";
import type { BackendChoice } from "./backend-choice.js";

/** Options of `MlxDevice.open`. */
export interface DeviceOptions {
  /** `auto` (default): `MLX_BACKEND` if set, else Metal where available, else host. */
  backend?: BackendChoice;
  /** Use a residency set (default true; `MLX_NO_RESIDENCY=1` turns it off everywhere). */
  residency?: boolean;
  /**
   * Receives every residency event (registration with its count, key and whether it was a
   * duplicate, removal, commit): the facts `MLX_PROFILE_RESIDENCY=1` prints, for code.
   */
  onResidencyEvent?: (event: ResidencyEvent) => void;
}

/** Options of `MlxBufferPool`. Every limit is off unless set, except `maxBuffers`. */
export interface PoolOptions {
  /** Size classes: a policy object or its name (`"pow2"`, next power of two, by default; `"pow2-div4"`...). */
  policy?: SizePolicy | string;
  /** Cache limit: free bytes above it are freed now, least recently used first. */
  maxFreeBytes?: number;
  /** Most buffers the pool may own; past it, `MEMORY_LIMIT`. Default `DEFAULT_MAX_BUFFERS` (250000). */
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
