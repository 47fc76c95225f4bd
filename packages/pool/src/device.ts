import { checkByteLength, Slot, SlotState } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import { type BackendName, backendStatus, type NativeDevice, openDevice } from "@mlx/metal-native";
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
   * Opens a device. Throws `UNSUPPORTED_BACKEND` when the backend was not built or cannot run
   * here (the message says why), `INVALID_ARGUMENT` for an unknown backend name.
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
      native = openDevice(backend);
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
   * A promise that settles when GPU work submitted so far has completed: on a stream (cuda,
   * a `cudaStream_t` as bigint; default the legacy default stream) or the device's queue (Metal).
   * The host backend's is already settled. Pass it as `after` to `reset` or `release`.
   */
  fence(stream?: bigint): Promise<void> {
    this.checkUsable("fence");
    try {
      return this.native.fence(stream);
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
    if (!(byteLength >= 1 && byteLength <= this.maxBufferLength && Number.isInteger(byteLength))) {
      this.throwBadLength(where, byteLength);
    }
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
