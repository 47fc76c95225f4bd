export {
  type FreedBlockReuse,
  kChunkBytes,
  kDefaultAlignment,
  kDefaultMaxSlabBytes,
  kDefaultMinSlabBytes,
  kDefaultSlabHeldDivisor,
  kMaxAlignment,
  kMaxArenaRequestBytes,
  kMinGranuleBytes,
  kSlabRoundBytes,
  kSmallMaxBytes,
  type ResolvedArenaOptions,
  resolveArenaOptions,
  type SlabArenaOptions,
} from "./arena/arena-options.js";
export { ArenaPool } from "./arena/arena-pool.js";
export type {
  ArenaLeaseStats,
  ArenaPoolOptions,
  ArenaPoolStats,
} from "./arena/arena-pool-types.js";
export type { SlabArenaStats } from "./arena/arena-stats.js";
export { ExactCache } from "./arena/exact-cache.js";
export { kFitListCount, listIndex, SegregatedFit, searchIndex } from "./arena/segregated-fit.js";
export { ArenaBlock, BlockRecycler, BlockState, type Chunk, Slab } from "./arena/slab.js";
export { SlabArena, type SlabRange } from "./arena/slab-arena.js";
export { SmallClasses } from "./arena/small-classes.js";
export { BucketPool, type Fence, type HitLists } from "./bucket-pool.js";
export { describeValue, disposedError, type ErrorCode, isMlxError, MlxError } from "./errors.js";
export { FreeLists } from "./free-lists.js";
export { Lease } from "./lease.js";
export {
  type BucketPoolOptions,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BUFFERS,
  LIMIT_NAMES,
  limitsOf,
  type PoolLimits,
} from "./options.js";
export {
  bucketSize,
  checkSizePolicy,
  MAX_BYTE_LENGTH,
  pow2,
  pow2Divisions,
  SIZE_POLICY_NAMES,
  type SizePolicy,
  sizePolicyByName,
} from "./size-policy.js";
export { FreeBucket, Slot, SlotState } from "./slot.js";
export type { BucketPoolStats } from "./stats.js";
export { checkByteLength } from "./validate.js";
