export {
  bucketSize,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BUFFERS,
  type PoolLimits,
  pow2,
  pow2Divisions,
  SIZE_POLICY_NAMES,
  type SizePolicy,
  sizePolicyByName,
} from "@mlx/bucket-pool";
export { ERROR_CODES, type ErrorCode, isMlxError, MlxError } from "@mlx/errors";
export {
  BACKEND_NAMES,
  type BackendName,
  type BackendStatus,
  backendStatus,
  type DeviceDescription,
  nativeAddonPath,
  nativeAddonSource,
} from "@mlx/metal-native";
export { type ResidencyEvent, resetResidencyEnvCache } from "@mlx/residency";
export { BACKEND_CHOICES, type BackendChoice } from "./backend-choice.js";
export { type BufferOwner, MlxBuffer } from "./buffer.js";
export { MlxDevice } from "./device.js";
export {
  DType,
  type ElementArray,
  type ElementArrayConstructor,
  type ElementArrayOf,
} from "./dtype.js";
export { type LeaseId, LeaseIds } from "./lease-ids.js";
export { clearCache, setCacheLimit, setMemoryLimit } from "./memory-limits.js";
export {
  getActiveMemory,
  getCacheMemory,
  getPeakMemory,
  type MemoryStats,
  memoryStats,
  resetPeakMemory,
} from "./memory-stats.js";
export { memorySummary } from "./memory-summary.js";
export type { ArenaOptions, DeviceOptions, FenceOptions, PoolOptions } from "./options.js";
export { type AllocRequest, MlxBufferPool } from "./pool.js";
export type { PoolArenaStats, PoolStats } from "./stats.js";
export { type PoolTrace, TRACE_FORMAT, type TraceOp } from "./trace-recorder.js";
