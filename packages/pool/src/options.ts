import type { PoolLimits, SizePolicy } from "@mlx/bucket-pool";
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

/** Options of `MlxBufferPool`: a size policy, the limits of `PoolLimits`, debug poisoning. */
export interface PoolOptions extends PoolLimits {
  /** Size classes: a policy object or its name (`"pow2"`, next power of two, by default; `"pow2-div4"`...). */
  policy?: SizePolicy | string;
  /**
   * Debug: fill recycled memory with this byte (true = 0xa5) when a buffer returns to the pool,
   * so reads through stale views show garbage instead of plausible data. Default: off, or
   * `MLX_POOL_POISON=1`.
   */
  poison?: boolean | number;
  /**
   * Each lease's views get their own ArrayBuffer of exactly `byteLength` bytes, detached when
   * the lease ends: a view kept past `release` or `reset` reads as length 0 instead of the next
   * caller's data, and `bytes().buffer` no longer reaches the capacity past `byteLength`. Costs
   * a native call when a lease begins and one when it ends. Default: off, or
   * `MLX_POOL_STRICT_VIEWS=1`.
   */
  strictViews?: boolean;
}

/** Fences for `reset` and `release`: recycle only after the GPU work settles. */
export interface FenceOptions {
  /** A promise (or thenable) that settles when the GPU work using the buffers is done. */
  after?: PromiseLike<unknown>;
}
