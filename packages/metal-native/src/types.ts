/** Public types of @mlx/metal-native. `@mlx/pool` types against these interfaces. */

import type { ErrorCode } from "@mlx/errors";

/** Every backend the addon knows, built or not: the one list of backend names. */
export const BACKEND_NAMES = ["metal", "host", "cuda"] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

/** The codes the native layer throws: the names `errorCodeName` (errors.h) gives, all in `ERROR_CODES`. */
export const NATIVE_ERROR_CODES = [
  "INVALID_ARGUMENT",
  "BUFFER_ALLOCATION",
  "DISPOSED",
  "RESIDENCY",
  "UNSUPPORTED_BACKEND",
  "DEVICE_NOT_FOUND",
] as const satisfies readonly ErrorCode[];

/** The `code` of every error thrown by the native layer. */
export type NativeErrorCode = (typeof NATIVE_ERROR_CODES)[number];

/** Shape of errors thrown by the native layer (plain `Error`s with extra fields). */
export interface NativeError extends Error {
  code: NativeErrorCode;
  /** The offending value: the bad argument, or the destroyed/foreign object. */
  value: unknown;
  /** BUFFER_ALLOCATION only: the number of bytes asked for. */
  bytes?: number;
}

export interface BackendStatus {
  name: BackendName;
  /** Compiled into this build of the addon. */
  built: boolean;
  /** Built and able to open a device right now. */
  available: boolean;
  /** Why not available; null when available. */
  reason: string | null;
}

/** One device of a built and available backend, as `listDevices()` gives it (opening none). */
export interface DeviceDescription {
  backend: BackendName;
  /** What `openDevice(backend, index)` takes: the CUDA ordinal, the position in MTLCopyAllDevices, 0 for the host. */
  index: number;
  name: string;
  maxBufferLength: number;
  hasUnifiedMemory: boolean;
}

/** What GPU code is handed for a live buffer (include/mlx_native/interop.h). */
export interface NativeBufferHandles {
  /** metal: the `id<MTLBuffer>` (not retained); cuda: the managed device pointer; host: the host pointer. */
  nativeHandle: bigint;
  /** metal: `MTLBuffer.gpuAddress` (0n before macOS 13); cuda: the device pointer; host: the host pointer. */
  gpuAddress: bigint;
}

/** How a buffer is allocated, beyond its length (`NativeDevice.allocBuffer`). */
export interface NativeAllocOptions {
  /**
   * `"tracked"` (default) or `"untracked"`. metal: `MTLResourceHazardTrackingModeUntracked` in
   * the buffer's resource options, so Metal no longer orders the encoders that use it (it tracks
   * hazards per `MTLBuffer`, every range of it as one resource): the caller orders work on the
   * buffer (fences, `MTLEvent`, one queue). host and cuda have no hazard tracking: either value
   * is accepted and changes nothing. Anything else, or an unknown option, is INVALID_ARGUMENT.
   */
  hazardTracking?: "tracked" | "untracked";
}

export interface NativeBuffer {
  readonly byteLength: number;
  /** Contents address; kept after destroy() so the buffer can still be identified. */
  readonly address: bigint;
  readonly deviceId: number;
  readonly destroyed: boolean;
  /**
   * Zero-copy view of the memory: the same ArrayBuffer on every call. Detached (byteLength 0)
   * by destroy(). Throws UNSUPPORTED_BACKEND where the runtime refuses external ArrayBuffers.
   */
  contents(): ArrayBuffer;
  /**
   * A view of `[byteOffset, byteOffset + byteLength)` (offset default 0) that belongs to one
   * lease: its own ArrayBuffer, detached by {@link endLeaseView} (or `destroy()`), so views kept
   * past the lease read as length 0. A buffer hands out any number at once (one per live range
   * of an arena slab), each detached on its own. INVALID_ARGUMENT for a length below 1, an
   * offset or length that is not a safe integer, or a range past the buffer; DISPOSED after
   * `destroy()`.
   */
  leaseView(byteLength: number, byteOffset?: number): ArrayBuffer;
  /**
   * Detaches `view`, a lease view of this buffer (a no-op once it is detached), leaving every
   * other view attached; without an argument, detaches every lease view of the buffer.
   * INVALID_ARGUMENT for anything but an ArrayBuffer, or an attached one that is not a lease
   * view of this buffer (`contents()` included).
   */
  endLeaseView(view?: ArrayBuffer): void;
  /** Copies `length` bytes (default: to the end) starting at `offset` (default 0). */
  read(offset?: number, length?: number): Uint8Array;
  /** Copies `data` into the buffer at `offset`. */
  write(offset: number, data: ArrayBufferView): void;
  /** Detaches contents() and every lease view, then frees the memory now. A second call does nothing. */
  destroy(): void;
}

export interface NativeResidencySet {
  readonly label: string;
  readonly deviceId: number;
  /** Distinct member buffers. Destroyed buffers leave their sets automatically. */
  readonly allocationCount: number;
  /** Number of commit() calls made. */
  readonly commitCount: number;
  /** Between requestResidency() and endResidency(). */
  readonly residencyRequested: boolean;
  readonly destroyed: boolean;
  /** Adding a member again does nothing. A buffer of another device is INVALID_ARGUMENT. */
  add(buffer: NativeBuffer): void;
  /** Removing a non-member does nothing. */
  remove(buffer: NativeBuffer): void;
  removeAll(): void;
  commit(): void;
  requestResidency(): void;
  endResidency(): void;
  /** False for non-members, destroyed buffers and buffers of other devices. */
  contains(buffer: NativeBuffer): boolean;
  /** Ends residency and drops every member (the buffers stay alive). Idempotent. */
  destroy(): void;
}

export interface NativeDevice {
  /** Unique per opened device within this process. */
  readonly id: number;
  readonly backend: BackendName;
  readonly name: string;
  readonly maxBufferLength: number;
  readonly hasUnifiedMemory: boolean;
  readonly recommendedMaxWorkingSetSize: number;
  readonly residencySupported: boolean;
  readonly residencyUnsupportedReason: string | null;
  readonly destroyed: boolean;
  /** The CUDA ordinal, the position in MTLCopyAllDevices, 0 for the host. */
  readonly index: number;
  /** metal: the `id<MTLDevice>`; cuda: the ordinal; host: 0n. Readable after destroy(). */
  readonly nativeDevice: bigint;
  /** metal: the device's `id<MTLCommandQueue>`; cuda: 0n (the legacy default stream); host: 0n. */
  readonly nativeQueue: bigint;
  /**
   * Attaches this device's residency sets, present and future, to a user's queue (metal:
   * `addResidencySet:` on that `id<MTLCommandQueue>`; cuda and host: recorded only).
   * INVALID_ARGUMENT for 0n, a non-bigint, a queue already attached or (metal) one of another
   * device or the device's own; RESIDENCY past Metal's 32 sets per queue; DISPOSED after
   * destroy(). A failure attaches nothing.
   */
  attachResidency(queue: bigint): void;
  /** Undoes attachResidency; INVALID_ARGUMENT for a queue not attached. */
  detachResidency(queue: bigint): void;
  /** The queues attachResidency attached, in order. */
  residencyQueues(): bigint[];
  /** Zero-filled, exactly byteLength bytes. INVALID_ARGUMENT for bad options (see {@link NativeAllocOptions}). */
  allocBuffer(byteLength: number, options?: NativeAllocOptions): NativeBuffer;
  /** RESIDENCY error when !residencySupported. Capacity defaults to 64. */
  newResidencySet(label?: string, initialCapacity?: number): NativeResidencySet;
  /**
   * A completion fence: resolves once the GPU work submitted to `stream` before this call has
   * completed, so memory it used can be recycled (`pool.reset({ after: device.fence() })`).
   *
   * - `host`: already resolved (host memory is written synchronously). Only `0n`/undefined.
   * - `cuda`: `stream` is a `cudaStream_t` as a bigint; `0n`/undefined is the legacy default
   *   stream, which orders with every blocking stream (not with non-blocking ones: fence
   *   those directly). A `cudaEvent_t` is recorded on the stream and a native waiter thread
   *   settles the promise when it completes.
   * - `metal`: an empty command buffer committed on the queue (in order, so it completes after
   *   the work committed to it before): `0n`/undefined is the device's own queue, any other
   *   value a user's `id<MTLCommandQueue>` of this device (INVALID_ARGUMENT for another
   *   device's; a dangling handle cannot be detected).
   *
   * Throws (no promise) `DISPOSED` on a destroyed device and `INVALID_ARGUMENT` for a stream
   * that is not a non-negative bigint below 2^64 or that the backend cannot use. Rejects with
   * `DEVICE_NOT_FOUND` (native error name in `value`) when the GPU reports a failure. A
   * pending fence keeps the process alive; a settled one never does.
   */
  fence(stream?: bigint): Promise<void>;
  /**
   * Stops this device from creating buffers and sets (DISPOSED afterwards). Live buffers and
   * sets stay valid; the native device is released when the last of them is destroyed.
   */
  destroy(): void;
}
