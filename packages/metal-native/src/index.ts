/**
 * @mlx/metal-native: native GPU buffers and residency sets for Node.js, with Metal, host and
 * CUDA backends behind one N-API binding. Importing this module never throws: a missing
 * addon surfaces as NativeAddonLoadError from openDevice() and in backendStatus(). Test hooks
 * live in `@mlx/metal-native/test-hooks`.
 */
import { isErrorCode } from "@mlx/errors";
import {
  addonIfLoaded,
  addonLoadError,
  addonPath,
  addonSource,
  loadedAddon,
} from "./loaded-addon.js";
import type { NativeAddonSource } from "./native-addon.js";
import {
  BACKEND_NAMES,
  type BackendName,
  type BackendStatus,
  type DeviceDescription,
  NATIVE_ERROR_CODES,
  type NativeBuffer,
  type NativeBufferHandles,
  type NativeDevice,
  type NativeError,
} from "./types.js";

export { type ErrorCode, isMlxError, MlxError } from "@mlx/errors";
export {
  BUILD_INSTRUCTIONS,
  NativeAddonLoadError,
  type NativeAddonSource,
  prebuiltPackageName,
} from "./native-addon.js";
export {
  BACKEND_NAMES,
  type BackendName,
  type BackendStatus,
  type DeviceDescription,
  NATIVE_ERROR_CODES,
  type NativeAllocOptions,
  type NativeBuffer,
  type NativeBufferHandles,
  type NativeDevice,
  type NativeError,
  type NativeErrorCode,
  type NativeResidencySet,
} from "./types.js";

/** The error that kept the addon from loading, or null when it loaded. */
export const nativeAddonLoadError: Error | null = addonLoadError();

/**
 * Which addon loaded: `override` (`MLX_NATIVE_ADDON`), `prebuilt` (the optional package
 * `@mlx/metal-native-<platform>-<arch>`) or `local-build` (`build/Release` of this package);
 * `null` when none did.
 */
export function nativeAddonSource(): NativeAddonSource | null {
  return addonSource();
}

/** The file the addon was loaded from, or null when none loaded. */
export function nativeAddonPath(): string | null {
  return addonPath();
}

/** Every backend, whether built, and whether usable now (with the reason when not). */
export function backendStatus(): BackendStatus[] {
  const addon = addonIfLoaded();
  if (addon === undefined) {
    const reason = (addonLoadError() as Error).message;
    return BACKEND_NAMES.map((name) => ({ name, built: false, available: false, reason }));
  }
  return addon.backendStatus();
}

/** Backends built into the addon and usable now, probed once at import. */
export const availableBackends: readonly BackendName[] = Object.freeze(
  backendStatus()
    .filter((status) => status.available)
    .map((status) => status.name),
);

/** The backend openDevice() picks without an argument: metal if available, else host. */
export function defaultBackend(): BackendName {
  return loadedAddon().defaultBackend();
}

/**
 * Opens a device. Errors: INVALID_ARGUMENT (unknown name), UNSUPPORTED_BACKEND (not built),
 * DEVICE_NOT_FOUND (built but no usable device; the reason names the native error).
 */
export function openDevice(backend?: BackendName, index?: number): NativeDevice {
  return loadedAddon().openDevice(backend, index);
}

/**
 * Every device of every backend built and available here, in backend then index order; opens
 * none. Empty when the addon did not load.
 */
export function listDevices(): DeviceDescription[] {
  return addonIfLoaded()?.listDevices() ?? [];
}

/**
 * The handles GPU code takes for a live buffer (include/mlx_native/interop.h says how to cast
 * them). DISPOSED once the buffer was destroyed; INVALID_ARGUMENT for anything but a NativeBuffer.
 */
export function nativeBufferHandles(buffer: NativeBuffer): NativeBufferHandles {
  return loadedAddon().bufferHandles(buffer);
}

/**
 * Native buffers allocated and not yet freed in this process, and their bytes: what a leak
 * test counts (exact, unlike RSS).
 */
export function liveNativeBuffers(): { count: number; bytes: number } {
  return loadedAddon().liveBuffers();
}

const NATIVE_CODES: ReadonlySet<string> = new Set(NATIVE_ERROR_CODES);

/** True for errors thrown by this package's native layer (they carry one of its codes). */
export function isNativeError(error: unknown): error is NativeError {
  const code = (error as Partial<NativeError> | null)?.code;
  return error instanceof Error && isErrorCode(code) && NATIVE_CODES.has(code);
}
