import type { FreedBlockReuse, PoolLimits, SizePolicy } from "@mlx/bucket-pool";
import type { ResidencyEvent } from "@mlx/residency";
import type { BackendChoice } from "./backend-choice.js";

/** Options of `MlxDevice.open`. */
export interface DeviceOptions {
  /** `auto` (default): `MLX_BACKEND` if set, else Metal where available, else host. */
  backend?: BackendChoice;
  /**
   * Which device of the backend (default 0): the CUDA ordinal, the position in
   * `MTLCopyAllDevices`; the host has index 0 only. `MlxDevice.list()` gives every one.
   */
  index?: number;
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
  /**
   * Size classes: a policy object or its name (`"pow2"`, next power of two, by default;
   * `"pow2-div4"`...), or `"arena"`: buffers are ranges packed into a few large native
   * allocations (slabs), see {@link ArenaOptions}.
   */
  policy?: SizePolicy | string;
  /** Tuning of `policy: "arena"` (setting it without that policy is `INVALID_ARGUMENT`). */
  arena?: ArenaOptions;
  /**
   * Debug: fill recycled memory with this byte (true = 0xa5) when a buffer returns to the pool,
   * so reads through stale views show garbage instead of plausible data. Default: off, or
   * `MLX_POOL_POISON=1`.
   */
  poison?: boolean | number;
  /**
   * Each lease's views get their own ArrayBuffer of exactly `byteLength` bytes, detached when
   * the lease ends (`release`, `reset`, `dispose`, fenced or not): a view kept past its lease
   * reads as length 0 instead of the next caller's data, and `bytes().buffer` does not reach
   * past `byteLength` (the capacity, or under `policy: "arena"` the rest of the slab; the view
   * starts at the lease's first byte, `bytes().byteOffset` is 0). Under the arena every live
   * range of a slab has its own view: ending one lease leaves the others' views working. Costs
   * a native call when a lease begins and one when it ends. Default: off, or
   * `MLX_POOL_STRICT_VIEWS=1` (any policy).
   */
  strictViews?: boolean;
}

/** Fences for `reset` and `release`: recycle only after the GPU work settles. */
export interface FenceOptions {
  /** A promise (or thenable) that settles when the GPU work using the buffers is done. */
  after?: PromiseLike<unknown>;
}

/**
 * Options of the arena policy. Every buffer's `byteOffset` and length are multiples of 256
 * bytes (of `alignment` when larger).
 */
export interface ArenaOptions {
  /** Offsets are multiples of this power of two (1 to 4096; 256 whatever smaller). Default 256. */
  alignment?: number;
  /** Smallest slab (a multiple of 16 KiB, at least 64 KiB). Default 1 MiB. */
  minSlabBytes?: number;
  /** Largest slab for requests that fit one. Default 256 MiB. */
  maxSlabBytes?: number;
  /** A new slab is at least held bytes / this. Default 8. */
  slabHeldDivisor?: number;
  /** How freed large ranges are reused (`"merge-first"`, the default, holds the least). */
  freedBlockReuse?: FreedBlockReuse;
  /**
   * Allocate every slab with Metal's hazard tracking off (`MTLResourceHazardTrackingModeUntracked`).
   * Metal tracks hazards per `MTLBuffer`, so encoders over unrelated buffers of one tracked slab
   * run one after the other; untracked, they may overlap, and ordering work on a slab is the
   * caller's job: `reset`/`release` with `{ after: device.fence(queue) }`, `MTLFence`/`MTLEvent`
   * between encoders, or one queue. host and cuda have no hazard tracking: accepted, no effect.
   * `stats().arena.slabHazardTracking` says which. Default false.
   */
  untrackedSlabs?: boolean;
}
