export {
  bucketSize,
  type ErrorCode,
  MlxError,
  pow2,
  pow2Divisions,
  SIZE_POLICY_NAMES,
  type SizePolicy,
  sizePolicyByName,
} from "@mlx/bucket-pool";
export {
  type BackendName,
  type BackendStatus,
  backendStatus,
  nativeAddonPath,
  nativeAddonSource,
} from "@mlx/metal-native";
export { type ResidencyEvent, resetResidencyEnvCache } from "@mlx/residency";
export { type BufferOwner, type ElementArray, MlxBuffer } from "./buffer.js";
export { BACKEND_CHOICES, type DeviceOptions, MlxDevice } from "./device.js";
export { DType, type ElementArrayConstructor } from "./dtype.js";
export type { FenceOptions, PoolOptions } from "./options.js";
export { type AllocRequest, MlxBufferPool } from "./pool.js";
export type { PoolStats } from "./stats.js";
