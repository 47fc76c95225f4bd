import { describeValue, MlxError } from "@mlx/errors";
import { enforceCacheLimit, limits, livePools, NO_LIMIT } from "./memory-registry.js";

/**
 * Limits every pool's free bytes together (MLX's `set_cache_limit`): enforced now, freeing
 * cached buffers of the pools that took buffers back least recently first, and after every
 * later release and reset. `Number.MAX_SAFE_INTEGER` (or `Infinity`) removes the limit. Pools'
 * own `maxFreeBytes` still apply. Returns the previous limit (`Number.MAX_SAFE_INTEGER` when
 * none was set).
 */
export function setCacheLimit(bytes: number): number {
  const limit = checkLimitBytes("setCacheLimit", bytes);
  const previous = limits.cacheBytes;
  limits.cacheBytes = limit;
  limits.cacheLimited = limit !== NO_LIMIT;
  if (limits.cacheLimited) enforceCacheLimit();
  return previous;
}

/**
 * Limits the bytes held by every pool and device together (capacities of pooled buffers in use,
 * free or pending, plus direct allocations): a fresh allocation that would pass it throws
 * `MEMORY_LIMIT` and changes nothing; hits are never refused. Memory already held above a new
 * limit stays. Returns the previous limit (`Number.MAX_SAFE_INTEGER` when none was set).
 */
export function setMemoryLimit(bytes: number): number {
  const limit = checkLimitBytes("setMemoryLimit", bytes);
  const previous = limits.memoryBytes;
  limits.memoryBytes = limit;
  limits.memoryLimited = limit !== NO_LIMIT;
  return previous;
}

/** Frees every live pool's free buffers now (each pool's `clear()`). */
export function clearCache(): void {
  for (const pool of livePools) if (!pool.disposed) pool.clear();
}

function checkLimitBytes(where: string, bytes: number): number {
  if (bytes === Number.POSITIVE_INFINITY) return NO_LIMIT;
  if (typeof bytes !== "number" || !Number.isSafeInteger(bytes) || bytes < 0) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: bytes must be a non-negative safe integer (or Infinity for no limit), got ${describeValue(bytes)}`,
      { value: bytes },
    );
  }
  return bytes;
}
