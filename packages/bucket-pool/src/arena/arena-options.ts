import { MlxError } from "../errors.js";

/** Largest request of a small class; larger ones come from the two-level segregated fit. */
export const kSmallMaxBytes = 16 * 1024;
/** Small classes are carved from chunks of this size, each taken from a slab like a large block. */
export const kChunkBytes = 64 * 1024;
/** Slab sizes are multiples of this. */
export const kSlabRoundBytes = 16 * 1024;
/** Smallest granule of the arena: sizes and offsets are multiples of max(this, alignment). */
export const kMinGranuleBytes = 256;
/** Largest alignment accepted: small classes need several granules per chunk. */
export const kMaxAlignment = 4096;
/** Largest request: the fit's first-level bitmap has 32 bits. */
export const kMaxArenaRequestBytes = 2 ** 42;
export const kDefaultAlignment = 256;
export const kDefaultMinSlabBytes = 1024 * 1024;
export const kDefaultMaxSlabBytes = 256 * 1024 * 1024;
/** A new slab is at least held bytes / this (then clamped to [minSlabBytes, maxSlabBytes]). */
export const kDefaultSlabHeldDivisor = 8;

/** How a {@link SlabArena} gets and frees its slabs, and how large it makes them. */
export interface SlabArenaOptions<S> {
  /**
   * Makes one native allocation of exactly `bytes` bytes (a slab). May throw: every live range
   * stays as it was (entirely free slabs freed just before stay freed). `inBatch` is what the
   * caller passed to `allocateChecked`: true when several allocations finish together.
   */
  allocateSlab(bytes: number, inBatch: boolean): S;
  /** Frees a slab now. Called by `clear`, by a miss that replaces free slabs, and by `dispose`. */
  freeSlab(slab: S, bytes: number): void;
  /**
   * Every offset handed out is a multiple of this (a power of two, 1 to 4096): WebGPU's
   * `minStorageBufferOffsetAlignment`, say. Offsets are multiples of 256 whatever it is. Default 256.
   */
  alignment?: number | undefined;
  /** Smallest slab made (a multiple of 16 KiB, at least 64 KiB). Default 1 MiB. */
  minSlabBytes?: number | undefined;
  /** Largest slab made for requests that fit in one (larger requests get a slab of their own). Default 256 MiB. */
  maxSlabBytes?: number | undefined;
  /** A new slab is at least held bytes / this, within [minSlabBytes, maxSlabBytes]. Default 8. */
  slabHeldDivisor?: number | undefined;
  /** Most bytes of slabs held at once; a slab past it is `MEMORY_LIMIT`. Default: no limit. */
  maxHeldBytes?: number | undefined;
  /**
   * Freed large blocks are kept whole for a request of their exact size. On a request that none
   * fits, `merge-first` (default) merges every kept block with its free neighbours before the fit
   * serves it: the least held memory. `exact-first` merges only those of sizes near the request
   * (down to half of it): cheaper hits where large sizes alternate, more held memory.
   */
  freedBlockReuse?: FreedBlockReuse | undefined;
}

export type FreedBlockReuse = "merge-first" | "exact-first";

/** Options with their defaults filled in and checked. */
export interface ResolvedArenaOptions {
  readonly alignment: number;
  /** max(256, alignment): the unit of every size and offset. */
  readonly granule: number;
  readonly minSlabBytes: number;
  readonly maxSlabBytes: number;
  readonly slabHeldDivisor: number;
  readonly maxHeldBytes: number;
  readonly freedBlockReuse: FreedBlockReuse;
}

function invalid(message: string, value: unknown): MlxError {
  return new MlxError("INVALID_ARGUMENT", `SlabArena: ${message}, got ${String(value)}`, { value });
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 2 ** 30 && (n & (n - 1)) === 0;
}

/** Checks options and fills in defaults; throws `INVALID_ARGUMENT` naming the bad value. */
export function resolveArenaOptions<S>(options: SlabArenaOptions<S>): ResolvedArenaOptions {
  if (typeof options?.allocateSlab !== "function" || typeof options.freeSlab !== "function") {
    throw invalid("options need allocateSlab and freeSlab functions", options);
  }
  const alignment = options.alignment ?? kDefaultAlignment;
  if (!isPowerOfTwo(alignment) || alignment > kMaxAlignment) {
    throw invalid(`alignment must be a power of two from 1 to ${kMaxAlignment}`, alignment);
  }
  const minSlabBytes = options.minSlabBytes ?? kDefaultMinSlabBytes;
  const maxSlabBytes = options.maxSlabBytes ?? Math.max(kDefaultMaxSlabBytes, minSlabBytes);
  for (const [name, value] of [
    ["minSlabBytes", minSlabBytes],
    ["maxSlabBytes", maxSlabBytes],
  ] as const) {
    if (
      !Number.isSafeInteger(value) ||
      value < kChunkBytes ||
      value > kMaxArenaRequestBytes ||
      value % kSlabRoundBytes !== 0
    ) {
      throw invalid(`${name} must be a multiple of 16 KiB from 64 KiB to 2^42`, value);
    }
  }
  if (maxSlabBytes < minSlabBytes)
    throw invalid("maxSlabBytes must be >= minSlabBytes", maxSlabBytes);
  const slabHeldDivisor = options.slabHeldDivisor ?? kDefaultSlabHeldDivisor;
  if (typeof slabHeldDivisor !== "number" || !(slabHeldDivisor >= 1)) {
    throw invalid("slabHeldDivisor must be a number >= 1", slabHeldDivisor);
  }
  const maxHeldBytes = options.maxHeldBytes ?? Number.POSITIVE_INFINITY;
  if (typeof maxHeldBytes !== "number" || !(maxHeldBytes >= 1)) {
    throw invalid("maxHeldBytes must be a number >= 1", maxHeldBytes);
  }
  const freedBlockReuse = options.freedBlockReuse ?? "merge-first";
  if (freedBlockReuse !== "merge-first" && freedBlockReuse !== "exact-first") {
    throw invalid('freedBlockReuse must be "merge-first" or "exact-first"', freedBlockReuse);
  }
  return {
    freedBlockReuse,
    alignment,
    granule: Math.max(kMinGranuleBytes, alignment),
    minSlabBytes,
    maxSlabBytes,
    slabHeldDivisor,
    maxHeldBytes,
  };
}
