/**
 * `@mlx/residency`: a residency-set wrapper with batching, deduplication by contents address
 * and same-owner checks, over an injected native set. Pure TypeScript: no native code here.
 */
export { type ErrorCode, isMlxError, MlxError } from "@mlx/errors";
export {
  resetResidencyEnvCache,
  residencyDisabledByEnv,
  residencyDisabledEnvName,
  residencyEnabled,
  residencyProfilingEnabled,
} from "./env.js";
export {
  formatRegisterLine,
  formatResidencyKey,
  type ProfileWriter,
  type ResidencyCommitEvent,
  type ResidencyEvent,
  type ResidencyEventHook,
  type ResidencyRegisterEvent,
  type ResidencyRemoveAllEvent,
  type ResidencyRemoveEvent,
  stderrProfileWriter,
} from "./events.js";
export { InMemoryNativeResidencySet } from "./in-memory-native-set.js";
export type { NativeResidencySetLike } from "./native.js";
export {
  checkSameResidency,
  describeOwner,
  type OwnedResidency,
  ResidencyBinding,
  type ResidencyBindingOptions,
} from "./owner.js";
export { ResidencySet, type ResidencySetOptions } from "./residency-set.js";
