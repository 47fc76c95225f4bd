import type { NativeAllocOptions, NativeBuffer, NativeDevice } from "@mlx/metal-native";
import { type ResidencyEvent, ResidencySet, residencyDisabledEnvName } from "@mlx/residency";
import { fromNativeError } from "./native-error.js";

/**
 * One native buffer as the JavaScript side keeps it: its address is read once, at allocation,
 * so that a pool hit never crosses into native code.
 *
 * The zero-copy view is made on first use and kept for the allocation's life: an external
 * ArrayBuffer counts as external memory to V8, and making one for every fresh allocation of
 * 32 MiB or more makes V8 run a full garbage collection each time, for buffers nobody reads
 * from JavaScript.
 */
export class NativeAllocation {
  readonly native: NativeBuffer;
  /** The device memory it came from, which frees it. */
  readonly memory: DeviceMemory;
  readonly address: bigint;
  /** Whether this allocation is a member of its device's residency set. */
  registered = false;
  private view: ArrayBuffer | null | undefined = undefined;

  constructor(memory: DeviceMemory, native: NativeBuffer) {
    this.memory = memory;
    this.native = native;
    this.address = native.address;
  }

  /**
   * The zero-copy view (one per allocation, made on first call), or `null` where the runtime
   * refuses external buffers (V8 sandbox). Only for a live allocation: the native side refuses
   * a destroyed one.
   */
  contents(): ArrayBuffer | null {
    if (this.view === undefined) this.view = this.memory.zeroCopy ? this.native.contents() : null;
    return this.view;
  }
}

/**
 * A device's memory as pools and direct allocation share it: native allocate and free, the
 * residency set with its staged changes and commits, and whether zero-copy views work here.
 *
 * Freeing a residency member is two steps: its removal is staged, and the memory is freed by
 * the next {@link flushResidency}, once the removal is committed. The set never holds freed
 * memory.
 */
export class DeviceMemory {
  readonly native: NativeDevice;
  /** Who error messages about the residency set name: the device. */
  readonly owner: object;
  /** The residency set, when residency is on. */
  readonly residency: ResidencySet<NativeBuffer> | undefined;
  /** Why residency is off, or `null` when it is on. */
  readonly residencyDisabledReason: string | null;
  /** Whether `contents()` gives zero-copy views (false under a V8 sandbox). */
  readonly zeroCopy: boolean;
  /** Allocations whose residency removal is staged: freed once it is committed. */
  private readonly staged: NativeBuffer[] = [];

  /**
   * @param owner - the device these buffers belong to, as residency messages name it.
   * @param wantResidency - false when the caller asked for no residency set.
   */
  constructor(
    native: NativeDevice,
    owner: object,
    wantResidency: boolean,
    onResidencyEvent: ((event: ResidencyEvent) => void) | undefined,
  ) {
    this.native = native;
    this.owner = owner;
    this.zeroCopy = probeZeroCopy(native);
    let reason: string | null = null;
    if (!wantResidency) reason = "turned off by the residency: false option";
    else if (residencyDisabledEnvName() !== null)
      reason = `turned off by ${residencyDisabledEnvName()}`;
    else if (!native.residencySupported)
      reason = native.residencyUnsupportedReason ?? "not supported";
    this.residencyDisabledReason = reason;
    if (reason === null) {
      // The device id tells apart two devices of one kind (two host devices print alike).
      const label = `mlx-pool ${native.backend}#${native.id} ${native.name}`;
      const set = new ResidencySet<NativeBuffer>(native.newResidencySet(label, 256), {
        owner,
        label,
        onEvent: onResidencyEvent,
      });
      set.requestResidency();
      this.residency = set;
    } else {
      this.residency = undefined;
    }
  }

  /** Whether the residency set is gone (the device disposed); see `OwnedResidency`. */
  get disposed(): boolean {
    return this.residency?.disposed ?? false;
  }

  /** The residency set's name, for messages (see `OwnedResidency`). */
  get name(): string {
    return this.residency?.name ?? String((this.owner as { name?: unknown }).name);
  }

  /**
   * A fresh native allocation of `byteLength` bytes (with `options`, e.g. an untracked slab),
   * staged in the residency set (and committed when `commit`). On failure nothing is left
   * allocated or staged.
   */
  allocate(byteLength: number, commit: boolean, options?: NativeAllocOptions): NativeAllocation {
    let native: NativeBuffer;
    try {
      native = this.native.allocBuffer(byteLength, options);
    } catch (error) {
      throw fromNativeError(error, "BUFFER_ALLOCATION");
    }
    const allocation = new NativeAllocation(this, native);
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
   * Frees an allocation. A residency member is staged for removal and freed by the next
   * {@link flushResidency}; anything else is freed now.
   */
  free(allocation: NativeAllocation): void {
    const set = this.residency;
    if (allocation.registered && set !== undefined && !set.disposed) {
      allocation.registered = false;
      set.stageRemove(allocation.native, allocation.address);
      this.staged.push(allocation.native);
    } else {
      allocation.registered = false;
      allocation.native.destroy();
    }
  }

  /**
   * Commits staged residency changes (one commit, none when nothing is staged), then frees the
   * allocations whose removal it committed. Returns whether it committed.
   */
  flushResidency(): boolean {
    const set = this.residency;
    const committed = set !== undefined && !set.disposed && set.stagedCount > 0 && set.commit();
    this.freeStaged();
    return committed;
  }

  /** Empties and destroys the residency set (one commit), then frees what waited on it. */
  dispose(): void {
    try {
      this.residency?.dispose();
    } finally {
      this.freeStaged();
    }
  }

  private freeStaged(): void {
    if (this.staged.length === 0) return;
    for (const native of this.staged) native.destroy();
    this.staged.length = 0;
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
