import { ArenaPool, BucketPool, SlotState } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import { MlxDevice } from "./device.js";
import type { DeviceMemory, NativeAllocation } from "./device-memory.js";
import {
  type DirectCounts,
  direct,
  directCountsOf,
  livePools,
  type PoolMemory,
  resetPeaks,
} from "./memory-registry.js";

/**
 * Memory of the whole process (every live pool and every direct allocation), or of one device.
 * Words as PyTorch and MLX use them: active = allocated, cache = cached free, reserved = held.
 */
export interface MemoryStats {
  /** Bytes handed out and not yet returned: requested lengths of live leases and direct buffers. */
  activeBytes: number;
  /**
   * The highest `activeBytes` since start or `resetPeakMemory()`: the sum of each pool's peak and
   * the direct allocations' peak, so exact for one pool and an upper bound for pools that peak
   * at different times. For one device, a pool that has allocated from several devices adds its
   * current figures there instead of a peak (its peaks are not kept per device).
   */
  peakActiveBytes: number;
  /** Bytes (capacities) of free buffers that pools keep for reuse. */
  cacheBytes: number;
  /** Bytes (capacities) of every buffer pools own (in use, free, pending) plus direct buffers. */
  reservedBytes: number;
  /** The highest `reservedBytes`, summed as `peakActiveBytes` is. */
  peakReservedBytes: number;
  /** Bytes (capacities) of buffers released with `{ after }` whose fence has not settled. */
  pendingBytes: number;
  /** Live leases and direct buffers. */
  activeCount: number;
  /** Free buffers that pools keep for reuse. */
  cacheCount: number;
  /** Live pools counted (for a device: those that have allocated from it). */
  pools: number;
  /** Of `activeBytes`, the direct allocations (`MlxDevice.allocBuffer`). */
  directBytes: number;
  /** Direct allocations alive now. */
  directCount: number;
}

/** Process-wide memory figures, or one device's. */
export function memoryStats(device?: MlxDevice): MemoryStats {
  const memory = deviceMemoryOf(device, "memoryStats");
  const counts: DirectCounts = memory === undefined ? direct : directCountsOf(memory);
  const stats: MemoryStats = {
    activeBytes: counts.bytes,
    peakActiveBytes: counts.peakBytes,
    cacheBytes: 0,
    reservedBytes: counts.bytes,
    peakReservedBytes: counts.peakBytes,
    pendingBytes: 0,
    activeCount: counts.count,
    cacheCount: 0,
    pools: 0,
    directBytes: counts.bytes,
    directCount: counts.count,
  };
  for (const pool of livePools) {
    if (pool.disposed) continue;
    if (memory === undefined || (pool.devices.size === 1 && pool.devices.has(memory))) {
      addWholePool(stats, pool);
    } else if (pool.devices.has(memory)) {
      addPoolShare(stats, pool, memory);
    }
  }
  return stats;
}

/** Bytes handed out and not yet returned (requested lengths), in the process or on `device`. */
export function getActiveMemory(device?: MlxDevice): number {
  return memoryStats(device).activeBytes;
}

/** The highest active memory since start or the last `resetPeakMemory()`. */
export function getPeakMemory(device?: MlxDevice): number {
  return memoryStats(device).peakActiveBytes;
}

/** Bytes held free in pools, ready for reuse. */
export function getCacheMemory(device?: MlxDevice): number {
  return memoryStats(device).cacheBytes;
}

/**
 * Sets the peaks to the current figures (as PyTorch's `reset_peak_memory_stats`): every live
 * pool's, so its `stats()` peaks restart too, and the direct allocations'.
 */
export function resetPeakMemory(): void {
  resetPeaks();
}

function addWholePool(stats: MemoryStats, pool: PoolMemory): void {
  const s = pool.buckets.stats();
  stats.activeBytes += s.inUseBytes;
  stats.peakActiveBytes += s.peakInUseBytes;
  stats.cacheBytes += s.freeBytes;
  stats.reservedBytes += s.heldBytes;
  stats.peakReservedBytes += s.peakHeldBytes;
  stats.pendingBytes += s.pendingBytes;
  stats.activeCount += s.inUseCount;
  stats.cacheCount += s.freeCount;
  stats.pools++;
}

/**
 * A pool that has allocated from several devices: its slots on `memory`, walked. Its peaks are
 * not kept per device, so its current figures stand in for them.
 */
function addPoolShare(stats: MemoryStats, pool: PoolMemory, memory: DeviceMemory): void {
  let active = 0;
  let held = 0;
  const store = pool.buckets;
  if (store instanceof ArenaPool) {
    // An arena keeps one SlabArena per device: its counters are that device's share.
    for (const [source, arena] of (
      store as ArenaPool<NativeAllocation, DeviceMemory>
    ).arenaEntries()) {
      if (source !== memory) continue;
      const a = arena.stats();
      active += a.requestedBytes;
      held += a.heldBytes;
      stats.activeCount += a.liveCount;
      stats.cacheBytes += a.heldBytes - a.liveBytes;
    }
  } else if (store instanceof BucketPool) {
    (store as BucketPool<NativeAllocation, DeviceMemory>).forEachSlot((slot) => {
      if (slot.handle.memory !== memory) return;
      held += slot.capacity;
      if (slot.state === SlotState.InUse) {
        active += slot.requested;
        stats.activeCount++;
      } else if (slot.state === SlotState.Free) {
        stats.cacheBytes += slot.capacity;
        stats.cacheCount++;
      } else if (slot.state === SlotState.Pending) {
        stats.pendingBytes += slot.capacity;
      }
    });
  }
  stats.activeBytes += active;
  stats.peakActiveBytes += active;
  stats.reservedBytes += held;
  stats.peakReservedBytes += held;
  stats.pools++;
}

/** The device's memory, `undefined` for the whole process; anything else is refused. */
function deviceMemoryOf(device: MlxDevice | undefined, where: string): DeviceMemory | undefined {
  if (device === undefined) return undefined;
  if (!(device instanceof MlxDevice)) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: device must be an MlxDevice or omitted, got ${describeValue(device)}`,
      { value: device },
    );
  }
  return device.memory;
}
