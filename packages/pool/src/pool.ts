import {
  BucketPool,
  type CounterMark,
  describeValue,
  MlxError,
  type SizePolicy,
  type Slot,
  sizePolicyByName,
} from "@mlx/bucket-pool";
import type { NativeBuffer } from "@mlx/metal-native";
import { ResidencyBinding, type ResidencySet } from "@mlx/residency";
import type { Allocation } from "./allocation.js";
import { type BufferOwner, MlxBuffer } from "./buffer.js";
import { MlxDevice } from "./device.js";
import type { DType } from "./dtype.js";
import type { FenceOptions, PoolOptions } from "./options.js";
import type { PoolStats } from "./stats.js";
import { checkDtypeAndShape } from "./validate.js";

/** One request of `allocBatch`: `[byteLength, dtype, shape]`. */
export type AllocRequest = readonly [number, DType, readonly number[]];

/**
 * The arena allocator: sizes bucketed by a policy (powers of two by default), per-bucket LIFO
 * free lists, `reset()` once per step, O(1) `release`, zero-filled fresh buffers registered with
 * the device's residency set.
 *
 * A pool hit never calls into native code and allocates only the returned handle; `reset` makes
 * no native call unless a cache limit frees memory.
 */
export class MlxBufferPool implements BufferOwner {
  private readonly buckets: BucketPool<Allocation>;
  private readonly residency = new ResidencyBinding<ResidencySet<NativeBuffer>>();
  private readonly poisonByte: number | undefined;
  /** Added by `registerExisting` (not already members): removed again on dispose. */
  private readonly existing = new Map<bigint, { device: MlxDevice; native: NativeBuffer }>();
  /** Device admitted last: repeated allocations on it skip the admission checks. */
  private lastDevice: MlxDevice | null = null;
  /** Device a fresh allocation goes to (set before each acquire). */
  private allocDevice: MlxDevice | null = null;
  /** True while `allocBatch` defers the residency commit to its end. */
  private batching = false;
  private disposed = false;

  constructor(options: PoolOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxBufferPool: options must be an object, got ${describeValue(options)}`,
        {
          value: options,
        },
      );
    }
    const policy: SizePolicy | undefined =
      typeof options.policy === "string" ? sizePolicyByName(options.policy) : options.policy;
    this.poisonByte = poisonByteOf(options.poison ?? process.env.MLX_POOL_POISON === "1");
    const poisonByte = this.poisonByte;
    this.buckets = new BucketPool<Allocation>({
      allocate: (capacity) => this.allocateFresh(capacity),
      destroy: (allocation) => allocation.device.release(allocation),
      onRecycle:
        poisonByte === undefined
          ? undefined
          : (allocation) => {
              if (allocation.contents !== null)
                new Uint8Array(allocation.contents).fill(poisonByte);
            },
      onFenceSettled: () => this.commitResidency(),
      policy,
      maxFreeBytes: options.maxFreeBytes,
      maxBuffers: options.maxBuffers,
      maxHeldBytes: options.maxHeldBytes,
      reuseLargerRatio: options.reuseLargerRatio,
      maxHeldRatio: options.maxHeldRatio,
    });
  }

  /** The size policy in use. */
  get policy(): SizePolicy {
    return this.buckets.policy;
  }

  /**
   * A buffer of `byteLength` bytes: the most recently freed one of its size class, else a fresh
   * zero-filled allocation at the class size, registered with one residency commit.
   */
  alloc(device: MlxDevice, byteLength: number, dtype: DType, shape: readonly number[]): MlxBuffer {
    if (this.disposed) throw disposedError("alloc");
    if (device !== this.lastDevice || device.disposed) this.admit(device, "alloc");
    device.checkLength("alloc", byteLength);
    checkDtypeAndShape("alloc", byteLength, dtype, shape);
    this.allocDevice = device;
    const slot = this.buckets.acquireChecked(byteLength);
    return new MlxBuffer(this, slot, byteLength, dtype, shape);
  }

  /**
   * Several buffers with one residency commit for all the fresh ones (none for an empty batch).
   * Every request is checked first; a failure midway undoes the whole batch.
   */
  allocBatch(device: MlxDevice, requests: Iterable<AllocRequest>): MlxBuffer[] {
    if (this.disposed) throw disposedError("allocBatch");
    this.admit(device, "allocBatch");
    if (
      requests == null ||
      typeof (requests as Iterable<AllocRequest>)[Symbol.iterator] !== "function"
    ) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `allocBatch: requests must be iterable, got ${describeValue(requests)}`,
        {
          value: requests,
        },
      );
    }
    const list = Array.from(requests);
    list.forEach((request, i) => {
      if (!Array.isArray(request) || request.length !== 3) {
        throw new MlxError(
          "INVALID_ARGUMENT",
          `allocBatch: request ${i} must be [byteLength, dtype, shape], got ${describeValue(request)}`,
          { value: request },
        );
      }
      device.checkLength(`allocBatch request ${i}`, request[0]);
      checkDtypeAndShape(`allocBatch request ${i}`, request[0], request[1], request[2]);
    });
    if (list.length === 0) return [];
    const mark: CounterMark = this.buckets.markCounters();
    const slots: Slot<Allocation>[] = [];
    this.allocDevice = device;
    this.batching = true;
    try {
      for (const [byteLength] of list) slots.push(this.buckets.acquire(byteLength));
      this.commitResidency();
    } catch (error) {
      for (let i = slots.length - 1; i >= 0; i--)
        this.buckets.undoAcquire(slots[i] as Slot<Allocation>);
      this.buckets.restoreCounters(mark);
      this.commitResidency();
      throw error;
    } finally {
      this.batching = false;
    }
    return list.map(([byteLength, dtype, shape], i) => {
      return new MlxBuffer(this, slots[i] as Slot<Allocation>, byteLength, dtype, shape);
    });
  }

  /**
   * Returns one buffer in O(1). With `{ after }`, it becomes stale now but is reused only once
   * `after` settles. A second release, a stale or foreign buffer is an error that changes nothing.
   */
  release(buffer: MlxBuffer, options?: FenceOptions): void {
    if (this.disposed) throw disposedError("release");
    this.checkOwnBuffer(buffer, "release");
    this.buckets.release(buffer.slot, buffer.generation, fenceOf(options));
    this.commitResidency();
  }

  /**
   * Returns every buffer handed out; each handle becomes stale. With `{ after }`, the buffers
   * join the free lists only when `after` settles. O(in-use), no native call.
   */
  reset(options?: FenceOptions): void {
    if (this.disposed) throw disposedError("reset");
    this.buckets.reset(fenceOf(options));
    this.commitResidency();
  }

  /**
   * Registers an exact-size buffer (weights, say) with the residency set only: it is never
   * recycled. Idempotent by address; a no-op when the device has no residency set.
   */
  registerExisting(device: MlxDevice, buffer: MlxBuffer): void {
    if (this.disposed) throw disposedError("registerExisting");
    this.admit(device, "registerExisting");
    if (!(buffer instanceof MlxBuffer)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `registerExisting: not an MlxBuffer: ${describeValue(buffer)}`,
        {
          value: buffer,
        },
      );
    }
    if (buffer.stale) {
      throw new MlxError(
        "STALE_BUFFER",
        "registerExisting: the buffer was freed or its lease ended",
        {
          value: buffer.address,
        },
      );
    }
    const allocation = buffer.slot.handle;
    if (allocation.device !== device) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `registerExisting: the buffer belongs to device ${allocation.device.name}, not ${device.name}`,
        { value: buffer.address },
      );
    }
    const set = device.residency;
    if (set === undefined || this.existing.has(allocation.address)) return;
    if (set.register(allocation.native, allocation.address)) {
      this.existing.set(allocation.address, { device, native: allocation.native });
    }
  }

  /** Free buffers waiting for reuse. */
  freeCount(): number {
    return this.buckets.freeLength;
  }

  /** Bytes (capacities) of the free buffers. */
  freeBytes(): number {
    return this.buckets.freeByteLength;
  }

  /** Buffers handed out and not yet released or reset. */
  inUseCount(): number {
    return this.buckets.inUseLength;
  }

  /** Frees every free buffer now and removes it from the residency set with one commit. */
  clear(): void {
    if (this.disposed) throw disposedError("clear");
    this.buckets.clear();
    this.commitResidency();
  }

  stats(): PoolStats {
    return {
      ...this.buckets.stats(),
      policy: this.buckets.policy.name,
      residencyCommits: this.residencyCommits,
      registeredExisting: this.existing.size,
    };
  }

  /**
   * Frees every buffer the pool allocated (handles become stale) and removes everything it
   * registered, with one commit. Buffers given to `registerExisting` stay allocated. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.buckets.dispose();
    for (const { device, native } of this.existing.values()) {
      if (!device.disposed) device.residency?.stageRemove(native);
    }
    this.existing.clear();
    this.commitResidency();
    this.disposed = true;
    this.lastDevice = null;
    this.allocDevice = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal `MlxBuffer.dispose()` of a pooled buffer. */
  disposeBuffer(buffer: MlxBuffer): void {
    this.release(buffer);
  }

  private residencyCommits = 0;

  private admit(device: MlxDevice, where: string): void {
    if (!(device instanceof MlxDevice)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `${where}: not an MlxDevice: ${describeValue(device)}`,
        {
          value: device,
        },
      );
    }
    device.checkUsable(where);
    this.residency.bind(device.residency);
    this.lastDevice = device;
  }

  private allocateFresh(capacity: number): Allocation {
    const device = this.allocDevice as MlxDevice;
    const before = device.residency?.commitCount ?? 0;
    const allocation = device.allocate(capacity, !this.batching);
    this.residencyCommits += (device.residency?.commitCount ?? 0) - before;
    return allocation;
  }

  /** Commits what this pool staged (one commit at most) and frees what that removal allowed. */
  private commitResidency(): void {
    const set = this.residency.set;
    if (set !== undefined && (set.owner as MlxDevice).flushResidency()) this.residencyCommits++;
  }

  private checkOwnBuffer(buffer: MlxBuffer, where: string): void {
    if (!(buffer instanceof MlxBuffer)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `${where}: not an MlxBuffer: ${describeValue(buffer)}`,
        {
          value: buffer,
        },
      );
    }
    if (buffer.owner !== this) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `${where}: the buffer (address 0x${buffer.address.toString(16)}) belongs to another pool or was allocated by a device directly`,
        { value: buffer.address },
      );
    }
  }
}

function disposedError(where: string): MlxError {
  return new MlxError("DISPOSED", `${where}: the pool has been disposed`, { value: where });
}

function fenceOf(options: FenceOptions | undefined): PromiseLike<unknown> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `options must be an object, got ${describeValue(options)}`,
      {
        value: options,
      },
    );
  }
  return options.after;
}

function poisonByteOf(poison: boolean | number): number | undefined {
  if (poison === false) return undefined;
  if (poison === true) return 0xa5;
  if (Number.isInteger(poison) && poison >= 0 && poison <= 255) return poison;
  throw new MlxError(
    "INVALID_ARGUMENT",
    `poison must be a boolean or a byte, got ${describeValue(poison)}`,
    {
      value: poison,
    },
  );
}
