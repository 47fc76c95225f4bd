import { MlxError } from "@mlx/errors";
import type { DeviceMemory } from "./device-memory.js";
import type { LeaseStore } from "./lease-store.js";

/**
 * What the process-wide memory figures read of one pool: its existing counters (no work per
 * alloc), the devices it has allocated from, and when it last took buffers back.
 */
export interface PoolMemory {
  readonly buckets: LeaseStore;
  /** Every device memory this pool has made a fresh allocation from. */
  readonly devices: Set<DeviceMemory>;
  readonly disposed: boolean;
  /** `returnTick` of its last release or reset while a cache limit was set (0: none). */
  lastReturn: number;
  /** Frees up to `bytes` of free buffers (and commits their residency removal); bytes freed. */
  evictFree(bytes: number): number;
  /** Frees every free buffer (`MlxBufferPool.clear`). */
  clear(): void;
}

/** Bytes and buffers allocated directly by devices (`MlxDevice.allocBuffer`). */
export interface DirectCounts {
  bytes: number;
  count: number;
  peakBytes: number;
  /** The `resetPeakMemory` epoch `peakBytes` belongs to. */
  epoch: number;
}

/** No limit: what `setCacheLimit` and `setMemoryLimit` return when none was set. */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * Note [process-wide memory]: the figures are sums, at the time they are asked for, of counters
 * every pool keeps anyway, over the pools alive now. Pools are held here until they are
 * disposed (or freed by the safety net): what matters is the memory they hold, and a pool's
 * resources never refer back to the pool object, so holding them keeps no pool object alive.
 * Direct allocations are counted when made and freed, which is never the hot path.
 */
export const livePools = new Set<PoolMemory>();

export const direct: DirectCounts = { bytes: 0, count: 0, peakBytes: 0, epoch: 0 };
const directByDevice = new WeakMap<DeviceMemory, DirectCounts>();
/** Bumped by `resetPeakMemory`: a device's direct peak from an older epoch restarts at its bytes. */
let peakEpoch = 0;

/** The limits set by `setCacheLimit` and `setMemoryLimit`, and whether each is on. */
export const limits = {
  cacheBytes: NO_LIMIT,
  memoryBytes: NO_LIMIT,
  /** Read by release and reset: one predictable branch while no cache limit is set. */
  cacheLimited: false,
  memoryLimited: false,
  /** Bumped at each release or reset while a cache limit is set: the pools' recency order. */
  returnTick: 0,
};

/** The direct allocations of one device, their peak since the last `resetPeakMemory`. */
export function directCountsOf(memory: DeviceMemory): DirectCounts {
  let counts = directByDevice.get(memory);
  if (counts === undefined) {
    counts = { bytes: 0, count: 0, peakBytes: 0, epoch: peakEpoch };
    directByDevice.set(memory, counts);
  } else if (counts.epoch !== peakEpoch) {
    counts.peakBytes = counts.bytes;
    counts.epoch = peakEpoch;
  }
  return counts;
}

/** Sets every peak (each live pool's, the direct allocations') to its current value. */
export function resetPeaks(): void {
  for (const pool of livePools) if (!pool.disposed) pool.buckets.resetPeaks();
  direct.peakBytes = direct.bytes;
  peakEpoch++;
  direct.epoch = peakEpoch;
}

/** Counts a direct allocation of `bytes` on `memory`. */
export function noteDirectAlloc(memory: DeviceMemory, bytes: number): void {
  for (const counts of [direct, directCountsOf(memory)]) {
    counts.bytes += bytes;
    counts.count++;
    if (counts.bytes > counts.peakBytes) counts.peakBytes = counts.bytes;
  }
}

/** Counts the free of a direct allocation of `bytes` on `memory`. */
export function noteDirectFree(memory: DeviceMemory, bytes: number): void {
  for (const counts of [direct, directCountsOf(memory)]) {
    counts.bytes -= bytes;
    counts.count--;
  }
}

/** Bytes every live pool holds (capacities) plus direct allocations. */
function reservedBytes(): number {
  let total = direct.bytes;
  for (const pool of livePools) total += pool.buckets.heldByteLength;
  return total;
}

/** Bytes held free in every live pool. */
function cacheBytes(): number {
  let total = 0;
  for (const pool of livePools) total += pool.buckets.freeByteLength;
  return total;
}

/**
 * Throws `MEMORY_LIMIT`, changing nothing, when a fresh allocation of `bytes` would take the
 * process past `setMemoryLimit`'s limit. Called before every fresh native allocation.
 */
export function checkMemoryLimit(where: string, bytes: number): void {
  if (!limits.memoryLimited) return;
  const reserved = reservedBytes();
  if (reserved + bytes <= limits.memoryBytes) return;
  throw new MlxError(
    "MEMORY_LIMIT",
    `${where}: a fresh allocation of ${bytes} bytes would take memory held by every pool and device to ${reserved + bytes} bytes, past setMemoryLimit(${limits.memoryBytes}); clearCache() frees cached buffers, reset() returns leases`,
    { value: reserved + bytes },
  );
}

/**
 * Frees cached buffers until every pool's free bytes together are within the cache limit:
 * pools that took buffers back least recently go first, and within a pool its own eviction
 * order (least recently freed first when it keeps that order).
 */
export function enforceCacheLimit(): void {
  let total = cacheBytes();
  if (total <= limits.cacheBytes) return;
  const order = [...livePools].sort((a, b) => a.lastReturn - b.lastReturn);
  for (const pool of order) {
    if (total <= limits.cacheBytes) break;
    if (!pool.disposed) total -= pool.evictFree(total - limits.cacheBytes);
  }
}

/** After a release or reset while a cache limit is set: note the recency, then enforce it. */
export function afterReturn(pool: PoolMemory): void {
  pool.lastReturn = ++limits.returnTick;
  enforceCacheLimit();
}
