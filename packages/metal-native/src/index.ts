/**
 * @mlx/metal-native: native GPU buffers and residency sets for Node.js, with Metal, host and
 * CUDA backends behind one N-API binding. Importing this module never throws: a missing
 * addon surfaces as NativeAddonLoadError from openDevice() and in backendStatus().
 */
import {
  loadNativeAddonWithSource,
  type NativeAddon,
  type NativeAddonLoadError,
  type NativeAddonSource,
} from "./native-addon.js";
import type {
  BackendName,
  BackendStatus,
  NativeDevice,
  NativeError,
  NativeErrorCode,
} from "./types.js";

export {
  BUILD_INSTRUCTIONS,
  NativeAddonLoadError,
  type NativeAddonSource,
  prebuiltPackageName,
} from "./native-addon.js";
export type {
  BackendName,
  BackendStatus,
  NativeBuffer,
  NativeDevice,
  NativeError,
  NativeErrorCode,
  NativeResidencySet,
} from "./types.js";

const BACKEND_NAMES: readonly BackendName[] = ["metal", "host", "cuda"];

let addon: NativeAddon | undefined;
let addonSource: NativeAddonSource | null = null;
let addonPath: string | null = null;
let loadError: NativeAddonLoadError | undefined;
try {
  const loaded = loadNativeAddonWithSource();
  addon = loaded.addon;
  addonSource = loaded.source;
  addonPath = loaded.path;
} catch (error) {
  loadError = error as NativeAddonLoadError;
}

function native(): NativeAddon {
  if (addon === undefined) throw loadError as NativeAddonLoadError;
  return addon;
}

/** The error that kept the addon from loading, or null when it loaded. */
export const nativeAddonLoadError: Error | null = loadError ?? null;

/**
 * Which addon loaded: `override` (`MLX_NATIVE_ADDON`), `prebuilt` (the optional package
 * `@mlx/metal-native-<platform>-<arch>`) or `local-build` (`build/Release` of this package);
 * `null` when none did.
 */
export function nativeAddonSource(): NativeAddonSource | null {
  return addonSource;
}

/** The file the addon was loaded from, or null when none loaded. */
export function nativeAddonPath(): string | null {
  return addonPath;
}

/** Every backend, whether built, and whether usable now (with the reason when not). */
export function backendStatus(): BackendStatus[] {
  if (addon === undefined) {
    const reason = (loadError as Error).message;
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
  return native().defaultBackend();
}

/**
 * Opens a device. Errors: INVALID_ARGUMENT (unknown name), UNSUPPORTED_BACKEND (not built),
 * DEVICE_NOT_FOUND (built but no usable device; the reason names the native error).
 */
export function openDevice(backend?: BackendName): NativeDevice {
  return native().openDevice(backend);
}

/**
 * Test hook: after `n` more successful native allocations, the next one fails with
 * BUFFER_ALLOCATION (once). `null` disarms.
 */
/**
 * Native buffers allocated and not yet freed in this process, and their bytes: what a leak
 * test counts (exact, unlike RSS).
 */
export function liveNativeBuffers(): { count: number; bytes: number } {
  return native().liveBuffers();
}

export function setAllocationFaultAfter(n: number | null): void {
  native().setAllocationFaultAfter(n);
}

/**
 * Test hook: host fences complete from a native thread after `ms` milliseconds, through the
 * same thread-safe path the GPU backends use; with `failWith`, they reject with
 * `DEVICE_NOT_FOUND` and `failWith` as the error name. `null` restores immediate host fences.
 */
export function setHostFenceDelay(ms: number | null, failWith?: string): void {
  native().setHostFenceDelay(ms, failWith);
}

/**
 * Test hook: behave as if the runtime refused external ArrayBuffers (V8 sandbox, Electron),
 * so contents() throws UNSUPPORTED_BACKEND and read()/write() remain.
 */
export function setExternalArrayBuffersRefused(refused: boolean): void {
  native().setExternalArrayBuffersRefused(refused);
}

const ERROR_CODES: ReadonlySet<string> = new Set<NativeErrorCode>([
  "INVALID_ARGUMENT",
  "BUFFER_ALLOCATION",
  "DISPOSED",
  "RESIDENCY",
  "UNSUPPORTED_BACKEND",
  "DEVICE_NOT_FOUND",
]);

/** True for errors thrown by this package (they carry a known `code`). */
export function isNativeError(error: unknown): error is NativeError {
  return error instanceof Error && ERROR_CODES.has((error as Partial<NativeError>).code as string);
}
