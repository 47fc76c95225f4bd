/**
 * `@mlx/metal-native/test-hooks`: switches that make the native layer fail or wait on purpose,
 * so that tests can reach error paths real hardware rarely takes. Not for production code.
 */
import { loadedAddon } from "./loaded-addon.js";

/**
 * After `n` more successful native allocations, the next one fails with BUFFER_ALLOCATION
 * (once). `null` disarms.
 */
export function setAllocationFaultAfter(n: number | null): void {
  loadedAddon().setAllocationFaultAfter(n);
}

/**
 * Host fences complete from a native thread after `ms` milliseconds, through the same
 * thread-safe path the GPU backends use; with `failWith`, they reject with `DEVICE_NOT_FOUND`
 * and `failWith` as the error name. `null` restores immediate host fences.
 */
export function setHostFenceDelay(ms: number | null, failWith?: string): void {
  loadedAddon().setHostFenceDelay(ms, failWith);
}

/**
 * Behave as if the runtime refused external ArrayBuffers (V8 sandbox, Electron), so
 * `contents()` throws UNSUPPORTED_BACKEND and `read()`/`write()` remain.
 */
export function setExternalArrayBuffersRefused(refused: boolean): void {
  loadedAddon().setExternalArrayBuffersRefused(refused);
}
