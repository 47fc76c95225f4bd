import { checkByteLength, describeValue, MlxError, Slot, SlotState } from "@mlx/bucket-pool";
import {
  type BackendName,
  backendStatus,
  type NativeBuffer,
  type NativeDevice,
  openDevice,
} from "@mlx/metal-native";
import { type ResidencyEvent, ResidencySet, residencyDisabledByEnv } from "@mlx/residency";
import { Allocation } from "./allocation.js";
import { type BufferOwner, MlxBuffer } from "./buffer.js";
import type { DType } from "./dtype.js";
import { fromNativeError } from "./native-error.js";
import { checkDtypeAndShape } from "./validate.js";

/** Options of {@link MlxDevice.open}. */
export interface DeviceOptions {
  /** `auto` (default): `MLX_BACKEND` if set, else Metal where available, else host. */
  backend?: "auto" | BackendName;
  /** Use a residency set (default true; `MLX_NO_RESIDENCY=1` turns it off everywhere). */
  residency?: boolean;
  /**
   * Receives every residency event (registration with its count, key and whether it was a
   * duplicate, removal, commit): the facts `MLX_PROFILE_RESIDENCY=1` prints, for code.
   */
  onResidencyEvent?: (event: ResidencyEvent) => void;
}

/** What `MlxDevice.open({ backend })` accepts. */
export const BACKEND_CHOICES = ["auto", "metal", "host", "cuda"] as const;
const BACKENDS: readonly string[] = BACKEND_CHOICES;

function chooseBackend(requested: string): BackendName {
  if (requested !== "auto") return requested as BackendName;
  const fromEnv = process.env.MLX_BACKEND;
  if (fromEnv !== undefined && fromEnv !== "" && fromEnv !== "auto") {
    if (!BACKENDS.includes(fromEnv)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MLX_BACKEND=${fromEnv} is not one of metal, host, cuda`,
        {
          value: fromEnv,
        },
      );
    }
    return fromEnv as BackendName;
  }
  return backendStatus().some((b) => b.name === "metal" && b.available) ? "metal" : "host";
}

/**
 * A GPU (or the host) with its residency set. Buffers from {@link allocBuffer} are exact-size,
 * zero-filled and registered with the set; pools allocate through the device too.
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
        {
          value: options,
        },
      );
    }
    if (options.onResidencyEvent !== undefined && typeof options.onResidencyEvent !== "function") {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxDevice.open: onResidencyEvent must be a function, got ${describeValue(options.onResidencyEvent)}`,
        { value: options.onResidencyEvent },
      );
    }
    const requested = options.backend ?? "auto";
    if (!BACKENDS.includes(requested)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxDevice.open: unknown backend ${describeValue(requested)}; known: ${BACKENDS.join(", ")}`,
        { value: requested },
      );
    }
    const backend = chooseBackend(requested);
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
    return new MlxDevice(native, options.residency !== false, options.onResidencyEvent);
  }

  readonly backend: BackendName;
  readonly name: string;
  /** Unique among the devices opened by this process; pools keep each device's memory apart. */
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
  /** @internal The device's residency set, when enabled. */
  readonly residency: ResidencySet<NativeBuffer> | undefined;
  /** @internal Whether `contents()` gives zero-copy views (false under a V8 sandbox). */
  readonly zeroCopy: boolean;

  private readonly direct = new Set<MlxBuffer>();
  /** Allocations whose residency removal is staged: freed once it is committed. */
  private readonly released: NativeBuffer[] = [];
  private isDisposed = false;

  private constructor(
    native: NativeDevice,
    wantResidency: boolean,
    onResidencyEvent: ((event: ResidencyEvent) => void) | undefined,
  ) {
    this.native = native;
    this.id = native.id;
    this.backend = native.backend;
    this.name = native.name;
    this.maxBufferLength = native.maxBufferLength;
    this.hasUnifiedMemory = native.hasUnifiedMemory;
    this.recommendedMaxWorkingSetSize = native.recommendedMaxWorkingSetSize;
    this.zeroCopy = probeZeroCopy(native);
    let reason: string | null = null;
    if (!wantResidency) reason = "turned off by the residency: false option";
    else if (residencyDisabledByEnv())
      reason = "turned off by MLX_NO_RESIDENCY / HF2Q_NO_RESIDENCY";
    else if (!native.residencySupported)
      reason = native.residencyUnsupportedReason ?? "not supported";
    this.residencyDisabledReason = reason;
    this.residencySetsEnabled = reason === null;
    if (reason === null) {
      const label = `mlx-pool ${native.backend} ${native.name}`;
      const set = new ResidencySet<NativeBuffer>(native.newResidencySet(label, 256), {
        owner: this,
        label,
        onEvent: onResidencyEvent,
      });
      set.requestResidency();
      this.residency = set;
    } else {
      this.residency = undefined;
    }
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** An exact-size, zero-filled buffer, registered with the residency set (one commit). */
  allocBuffer(byteLength: number, dtype: DType, shape: readonly number[]): MlxBuffer {
    this.checkUsable("allocBuffer");
    this.checkLength("allocBuffer", byteLength);
    const elementCount = checkDtypeAndShape("allocBuffer", byteLength, dtype, shape);
    const allocation = this.allocate(byteLength, true);
    const slot = new Slot(allocation, byteLength);
    const buffer = new MlxBuffer(this, slot, byteLength, dtype, shape, elementCount);
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
    const set = this.residency;
    if (set === undefined || set.disposed) {
      return { enabled: false, allocationCount: 0, commitCount: set?.commitCount ?? 0 };
    }
    return { enabled: true, allocationCount: set.allocationCount, commitCount: set.commitCount };
  }

  /**
   * Frees every buffer this device allocated directly (they become stale), empties and destroys
   * the residency set (one commit), and releases the native device. Pools that still hold this
   * device's buffers keep them valid until they free them. Idempotent.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    try {
      // Residency first (one removeAll and commit), then the memory: never free a member.
      this.residency?.dispose();
    } finally {
      for (const buffer of this.direct) this.freeDirect(buffer);
      this.direct.clear();
      this.destroyReleased();
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
    this.flushResidency();
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

  /**
   * @internal A fresh native allocation of `byteLength` bytes, staged in the residency set
   * (and committed when `commit`). On failure nothing is left allocated or staged.
   */
  allocate(byteLength: number, commit: boolean): Allocation {
    let native: NativeBuffer;
    try {
      native = this.native.allocBuffer(byteLength);
    } catch (error) {
      throw fromNativeError(error, "BUFFER_ALLOCATION");
    }
    const allocation = new Allocation(this, native);
    const set = this.residency;
    if (set !== undefined) {
      try {
        allocation.registered = set.stageAdd(native, allocation.address);
        if (commit) set.commit();
      } catch (error) {
        if (allocation.registered) set.stageRemove(native, allocation.address);
        native.destroy();
        throw fromNativeError(error, "RESIDENCY");
      }
    }
    return allocation;
  }

  /**
   * @internal Frees an allocation. A residency member is staged for removal and freed by the
   * next {@link flushResidency}, after the removal is committed; anything else is freed now.
   */
  release(allocation: Allocation): void {
    const set = this.residency;
    if (allocation.registered && set !== undefined && !set.disposed) {
      allocation.registered = false;
      set.stageRemove(allocation.native, allocation.address);
      this.released.push(allocation.native);
    } else {
      allocation.registered = false;
      allocation.native.destroy();
    }
  }

  /**
   * @internal Commits staged residency changes (one commit, none when nothing is staged), then
   * frees the allocations whose removal it committed. Returns whether it committed.
   */
  flushResidency(): boolean {
    const set = this.residency;
    const committed = set !== undefined && !set.disposed && set.stagedCount > 0 && set.commit();
    this.destroyReleased();
    return committed;
  }

  private destroyReleased(): void {
    if (this.released.length === 0) return;
    for (const native of this.released) native.destroy();
    this.released.length = 0;
  }

  private freeDirect(buffer: MlxBuffer): void {
    const slot = buffer.slot;
    slot.generation++;
    slot.state = SlotState.Destroyed;
    this.release(slot.handle);
  }
}

function probeZeroCopy(native: NativeDevice): boolean {
  const probe = native.allocBuffer(1);
  try {
    probe.contents();
    return true;
  } catch {
    return false;
  } finally {
    probe.destroy();
  }
}
