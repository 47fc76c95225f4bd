import { checkByteLength, Slot, SlotState } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import {
  type BackendName,
  backendStatus,
  type DeviceDescription,
  listDevices,
  type NativeDevice,
  openDevice,
} from "@mlx/metal-native";
import { chooseBackend } from "./backend-choice.js";
import { type BufferOwner, MlxBuffer } from "./buffer.js";
import { DeviceMemory, type NativeAllocation } from "./device-memory.js";
import type { DType, ElementArrayOf } from "./dtype.js";
import { checkMemoryLimit, noteDirectAlloc, noteDirectFree } from "./memory-registry.js";
import { fromNativeError } from "./native-error.js";
import type { DeviceOptions } from "./options.js";
import { checkDtypeAndShape } from "./validate.js";

/**
 * A GPU (or the host) with its residency set. Buffers from {@link allocBuffer} are exact-size,
 * zero-filled and registered with the set; pools allocate from the device's memory too.
 */
export class MlxDevice implements BufferOwner {
  /**
   * Every device of every backend built and available here (`{ backend, index, name,
   * maxBufferLength, hasUnifiedMemory }`), in backend then index order. Opens nothing.
   */
  static list(): DeviceDescription[] {
    try {
      return listDevices();
    } catch (error) {
      throw fromNativeError(error, "DEVICE_NOT_FOUND");
    }
  }

  /**
   * Opens a device: `index` (default 0) picks one of the backend's devices, as
   * {@link MlxDevice.list} numbers them. Throws `UNSUPPORTED_BACKEND` when the backend was not
   * built or cannot run here (the message says why), `INVALID_ARGUMENT` for an unknown backend
   * name or an index that is not a non-negative integer, `DEVICE_NOT_FOUND` for an index past
   * the backend's last device.
   */
  static open(options: DeviceOptions = {}): MlxDevice {
    if (typeof options !== "object" || options === null) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxDevice.open: options must be an object, got ${describeValue(options)}`,
        { value: options },
      );
    }
    if (options.onResidencyEvent !== undefined && typeof options.onResidencyEvent !== "function") {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxDevice.open: onResidencyEvent must be a function, got ${describeValue(options.onResidencyEvent)}`,
        { value: options.onResidencyEvent },
      );
    }
    const index = options.index === undefined ? 0 : options.index;
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxDevice.open: index must be a non-negative integer (a device index), got ${describeValue(index)}`,
        { value: index },
      );
    }
    const backend = chooseBackend(options.backend ?? "auto", "MlxDevice.open");
    const status = backendStatus().find((b) => b.name === backend);
    if (status === undefined || !status.available) {
      throw new MlxError(
        "UNSUPPORTED_BACKEND",
        `MlxDevice.open: backend ${backend} is not available here: ${status?.reason ?? "not built"}`,
        { value: backend },
      );
    }
    let native: NativeDevice;
    try {
      native = openDevice(backend, index);
    } catch (error) {
      throw fromNativeError(error, "DEVICE_NOT_FOUND");
    }
    return new MlxDevice(native, options);
  }

  readonly backend: BackendName;
  readonly name: string;
  /** Unique among the devices opened by this process. */
  readonly id: number;
  /** Whether this device registers its buffers in a residency set. */
  readonly residencySetsEnabled: boolean;
  /** Why residency is off, or `null` when it is on. */
  readonly residencyDisabledReason: string | null;
  readonly maxBufferLength: number;
  readonly hasUnifiedMemory: boolean;
  readonly recommendedMaxWorkingSetSize: number;
  /** Which of the backend's devices this is: the CUDA ordinal, the position in MTLCopyAllDevices, 0 for the host. */
  readonly index: number;
  /**
   * Handles for GPU code (`include/mlx_native/interop.h`). metal: the `id<MTLDevice>` and the
   * device's own `id<MTLCommandQueue>`, not retained, valid until `dispose`; cuda: the ordinal
   * and 0n (the legacy default stream); host: 0n and 0n.
   */
  readonly nativeHandles: { readonly device: bigint; readonly queue: bigint };
  /** @internal */
  readonly native: NativeDevice;
  /** @internal Native allocate and free and the residency set, shared with pools. */
  readonly memory: DeviceMemory;

  private readonly direct = new Set<MlxBuffer>();
  private isDisposed = false;

  private constructor(native: NativeDevice, options: DeviceOptions) {
    this.native = native;
    this.id = native.id;
    this.backend = native.backend;
    this.name = native.name;
    this.maxBufferLength = native.maxBufferLength;
    this.hasUnifiedMemory = native.hasUnifiedMemory;
    this.recommendedMaxWorkingSetSize = native.recommendedMaxWorkingSetSize;
    this.index = native.index;
    this.nativeHandles = Object.freeze({ device: native.nativeDevice, queue: native.nativeQueue });
    this.memory = new DeviceMemory(
      native,
      this,
      options.residency !== false,
      options.onResidencyEvent,
    );
    this.residencyDisabledReason = this.memory.residencyDisabledReason;
    this.residencySetsEnabled = this.residencyDisabledReason === null;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** An exact-size, zero-filled buffer, registered with the residency set (one commit). */
  allocBuffer<D extends DType>(
    byteLength: number,
    dtype: D,
    shape: readonly number[],
  ): MlxBuffer<ElementArrayOf<D>> {
    this.checkUsable("allocBuffer");
    this.checkLength("allocBuffer", byteLength);
    const elementCount = checkDtypeAndShape("allocBuffer", byteLength, dtype, shape);
    checkMemoryLimit("allocBuffer", byteLength);
    const allocation = this.memory.allocate(byteLength, true);
    noteDirectAlloc(this.memory, byteLength);
    const slot = new Slot(allocation, byteLength);
    const buffer = new MlxBuffer<ElementArrayOf<D>>(
      this,
      slot,
      byteLength,
      dtype,
      shape,
      elementCount,
    );
    this.direct.add(buffer);
    return buffer;
  }

  /**
   * A promise that settles when the GPU work submitted so far to `queue` has completed. cuda:
   * any `cudaStream_t` as a bigint (default 0n, the legacy default stream); metal: a user's
   * `id<MTLCommandQueue>` of this device, or 0n (default) for the device's own queue; host:
   * already settled (0n only). Pass it as `after` to `reset` or `release`. Throws
   * `INVALID_ARGUMENT` for a queue the backend cannot use.
   */
  fence(queue?: bigint): Promise<void> {
    this.checkUsable("fence");
    try {
      return this.native.fence(queue);
    } catch (error) {
      throw fromNativeError(error, "INVALID_ARGUMENT");
    }
  }

  /**
   * Makes the residency set reach the work of a user's queue: metal: `addResidencySet:` on that
   * `id<MTLCommandQueue>` (Metal allows 32 sets per queue: past that, `RESIDENCY`); cuda and
   * host: recorded only (managed memory is prefetched to the device whichever stream runs).
   * `INVALID_ARGUMENT` for 0n, a queue already attached, or (metal) one of another device.
   * Detach before destroying the queue; `dispose` detaches every queue.
   */
  attachResidency(queue: bigint): void {
    this.checkUsable("attachResidency");
    try {
      this.native.attachResidency(queue);
    } catch (error) {
      throw fromNativeError(error, "INVALID_ARGUMENT");
    }
  }

  /** Undoes {@link attachResidency}; `INVALID_ARGUMENT` for a queue not attached. */
  detachResidency(queue: bigint): void {
    this.checkUsable("detachResidency");
    try {
      this.native.detachResidency(queue);
    } catch (error) {
      throw fromNativeError(error, "INVALID_ARGUMENT");
    }
  }

  /** Residency facts: whether it is on, allocations in the set, commits so far. */
  residencyStats(): { enabled: boolean; allocationCount: number; commitCount: number } {
    const set = this.memory.residency;
    if (set === undefined || set.disposed) {
      return { enabled: false, allocationCount: 0, commitCount: set?.commitCount ?? 0 };
    }
    return { enabled: true, allocationCount: set.allocationCount, commitCount: set.commitCount };
  }

  /**
   * Frees every buffer this device allocated directly (they become stale), empties and destroys
   * the residency set (one commit), and closes the native device. Pools that still hold this
   * device's buffers keep them valid until they free them. Idempotent.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    try {
      // Residency first (one removeAll and commit), then the memory: never free a member.
      this.memory.dispose();
    } finally {
      for (const buffer of this.direct) this.freeDirect(buffer);
      this.direct.clear();
      this.native.destroy();
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal Frees a direct buffer (its `dispose`). */
  disposeBuffer(buffer: MlxBuffer): void {
    if (buffer.stale || !this.direct.has(buffer)) {
      throw new MlxError("STALE_BUFFER", "dispose: this buffer was already freed", {
        value: buffer.address,
      });
    }
    this.freeDirect(buffer);
    this.direct.delete(buffer);
    this.memory.flushResidency();
  }

  /** @internal Throws unless the device can be used. */
  checkUsable(where: string): void {
    if (this.isDisposed) {
      throw new MlxError("DISPOSED", `${where}: device ${this.name} has been disposed`, {
        value: this.name,
      });
    }
  }

  /** @internal Checks a length against the device's limits. */
  checkLength(where: string, byteLength: number): void {
    if (!this.lengthFits(byteLength)) this.throwBadLength(where, byteLength);
  }

  /** @internal {@link checkLength}'s test alone. */
  lengthFits(byteLength: number): boolean {
    return byteLength >= 1 && byteLength <= this.maxBufferLength && Number.isInteger(byteLength);
  }

  /** Kept out of `checkLength` so that the check inlines into the pool's hot path. */
  private throwBadLength(where: string, byteLength: number): never {
    checkByteLength(byteLength, where);
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: byteLength ${byteLength} is above the device's maximum buffer length ${this.maxBufferLength}`,
      { value: byteLength },
    );
  }

  private freeDirect(buffer: MlxBuffer): void {
    // A direct buffer's lease is always a slot of its own.
    const slot = buffer.slot as Slot<NativeAllocation>;
    slot.generation++;
    slot.state = SlotState.Destroyed;
    this.memory.free(slot.handle);
    noteDirectFree(this.memory, slot.capacity);
  }
}
