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
export { type ResidencyEvent, resetResidencyEnvCache } from "@mlx/residency";
export { MlxBuffer } from "./buffer.js";
export { type DeviceOptions, MlxDevice } from "./device.js";
export { DType } from "./dtype.js";
export type { FenceOptions, PoolOptions } from "./options.js";
export { MlxBufferPool } from "./pool.js";
export type { PoolStats } from "./stats.js";
