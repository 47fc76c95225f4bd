import { BucketPool, disposedError, type SizePolicy, type Slot } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import { MlxBuffer } from "./buffer.js";
import { MlxDevice } from "./device.js";
import type { DeviceMemory, NativeAllocation } from "./device-memory.js";
import type { DType, ElementArrayOf } from "./dtype.js";
import { type LeaseIdPool, LeaseIds } from "./lease-ids.js";
import type { LeaseSlot } from "./lease-store.js";
import { beginLeaseView, EndingViews, endLeaseView } from "./lease-views.js";
import { afterReturn, limits } from "./memory-registry.js";
import type { FenceOptions, PoolOptions } from "./options.js";
import { droppedPools, POOL_LABEL, PoolResources } from "./pool-resources.js";
import type { PoolStats } from "./stats.js";
import { type PoolTrace, TraceRecorder } from "./trace-recorder.js";
import { checkDtypeAndShape, dtypeOrShapeError, elementCountOrMinusOne } from "./validate.js";

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
export class MlxBufferPool implements LeaseIdPool {
  private readonly resources: PoolResources;
  /** Device admitted last: allocations on it skip the admission checks. */
  private lastDevice: unknown = NO_DEVICE;
  /** Records operations between `startTrace` and `stopTrace`; null otherwise. */
  private recorder: TraceRecorder | null = null;
  /** `PoolOptions.strictViews`, read once: the default path pays one test of it. */
  private readonly strictViews: boolean;
  /** This pool's leases by number, made by the first `leaseIds()`. */
  private ids: LeaseIds | null = null;

  constructor(options: PoolOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxBufferPool: options must be an object, got ${describeValue(options)}`,
        { value: options },
      );
    }
    this.resources = new PoolResources(options);
    this.strictViews = this.resources.strictViews;
    droppedPools.register(this, this.resources, this.resources);
  }

  /** The size policy in use. */
  get policy(): SizePolicy {
    return this.resources.buckets.policy;
  }

  /**
   * A buffer of `byteLength` bytes: the most recently freed one of its size class on this
   * device, else a fresh zero-filled allocation at the class size, registered with one residency
   * commit. Everything is checked before anything changes.
   */
  alloc<D extends DType>(
    device: MlxDevice,
    byteLength: number,
    dtype: D,
    shape: readonly number[],
  ): MlxBuffer<ElementArrayOf<D>> {
    // `lastDevice` is reset by dispose, so on the hot path two cheap tests cover the pool and
    // device checks; the rest is out of line to keep this small enough to inline.
    const admitted = device === this.lastDevice && !device.disposed;
    if (!admitted) this.checkPoolAndDevice(device, "alloc");
    device.checkLength("alloc", byteLength);
    const elementCount = checkDtypeAndShape("alloc", byteLength, dtype, shape);
    if (!admitted) this.admit(device);
    const slot = this.resources.buckets.acquirePrechecked(byteLength, device.memory);
    if (this.strictViews) beginLeaseView(slot, byteLength);
    const buffer = new MlxBuffer<ElementArrayOf<D>>(
      this,
      slot,
      byteLength,
      dtype,
      shape,
      elementCount,
    );
    if (this.recorder !== null) this.recorder.alloc(buffer, byteLength);
    return buffer;
  }

  /**
   * Several buffers with one residency commit for all the fresh ones (none for an empty batch).
   * The iterable is read once; a bad request, or a failure midway, undoes the whole batch.
   * Calling this pool from a request's getter or proxy while the batch runs is
   * `INVALID_ARGUMENT`.
   */
  allocBatch(device: MlxDevice, requests: Iterable<AllocRequest>): MlxBuffer[] {
    const resources = this.resources;
    resources.checkOpen("allocBatch");
    checkDevice(device, "allocBatch");
    device.checkUsable("allocBatch");
    if (
      requests == null ||
      typeof (requests as Iterable<AllocRequest>)[Symbol.iterator] !== "function"
    ) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `allocBatch: requests must be iterable, got ${describeValue(requests)}`,
        { value: requests },
      );
    }
    const list: readonly unknown[] = Array.isArray(requests) ? requests : Array.from(requests);
    this.admit(device);
    // Reading a request may run the caller's code (a getter, a proxy): while the batch is under
    // way the pool refuses to be re-entered, and `alloc` leaves its admitted-device fast path.
    resources.batching = true;
    this.lastDevice = NO_DEVICE;
    try {
      const store = resources.buckets;
      const hits =
        store instanceof BucketPool && !this.strictViews
          ? this.allocHits(device, list, store as BucketPool<NativeAllocation, DeviceMemory>)
          : null;
      return hits ?? this.allocBatchChecked(device, list);
    } finally {
      resources.batching = false;
      this.lastDevice = device;
    }
  }

  /**
   * `allocBatch` when every request is a hit (the steady state): each request read, checked,
   * and its slot leased in one pass, nothing recorded for undo, no residency commit
   * (nothing is new). On a miss the leases so far are undone exactly and null returned; a bad
   * request undoes them and throws.
   */
  private allocHits(
    device: MlxDevice,
    list: readonly unknown[],
    store: BucketPool<NativeAllocation, DeviceMemory>,
  ): MlxBuffer[] | null {
    const n = list.length;
    const lists = store.hitLists(device.memory);
    if (lists === null) return null;
    const buffers = new Array<MlxBuffer>(n);
    let i = 0;
    try {
      for (; i < n; i++) {
        const request = list[i];
        if (!Array.isArray(request) || request.length !== 3) throw badRequest(request, i);
        const byteLength: number = request[0];
        const dtype: DType = request[1];
        const shape: readonly number[] = request[2];
        const count = checkRequestValues(device, byteLength, dtype, shape, i);
        const slot = store.leaseHitFrom(lists, byteLength);
        if (slot === null) break;
        buffers[i] = new MlxBuffer(this, slot, byteLength, dtype, shape, count);
      }
    } catch (error) {
      undoHits(store, buffers, i);
      throw error;
    }
    if (i < n) {
      undoHits(store, buffers, i);
      return null;
    }
    store.finishHits(n);
    const recorder = this.recorder;
    if (recorder !== null) for (const b of buffers) recorder.alloc(b, b.byteLength);
    return buffers;
  }

  /**
   * `allocBatch`'s general path: every request read once and checked, then all leased together
   * (see the store's `acquireBatchPrechecked`).
   */
  private allocBatchChecked(device: MlxDevice, list: readonly unknown[]): MlxBuffer[] {
    const resources = this.resources;
    const n = list.length;
    const byteLengths = new Array<number>(n);
    const dtypes = new Array<DType>(n);
    const shapes = new Array<readonly number[]>(n);
    const counts = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const request = list[i];
      if (!Array.isArray(request) || request.length !== 3) throw badRequest(request, i);
      const byteLength = request[0];
      const dtype = request[1];
      const shape = request[2];
      counts[i] = checkRequestValues(device, byteLength, dtype, shape, i);
      byteLengths[i] = byteLength;
      dtypes[i] = dtype;
      shapes[i] = shape;
    }
    if (n === 0) return [];
    let slots: LeaseSlot[];
    try {
      slots = resources.buckets.acquireBatchPrechecked(byteLengths, device.memory, () =>
        resources.commitResidency(),
      );
    } catch (error) {
      // Removals that eviction staged for the batch are committed (and their memory freed).
      resources.commitResidencyQuietly();
      throw error;
    }
    const buffers = new Array<MlxBuffer>(n);
    const strict = this.strictViews;
    for (let i = 0; i < n; i++) {
      const byteLength = byteLengths[i] as number;
      const slot = slots[i] as LeaseSlot;
      if (strict) beginLeaseView(slot, byteLength);
      buffers[i] = new MlxBuffer(
        this,
        slot,
        byteLength,
        dtypes[i] as DType,
        shapes[i] as readonly number[],
        counts[i] as number,
      );
    }
    const recorder = this.recorder;
    if (recorder !== null) for (const b of buffers) recorder.alloc(b, b.byteLength);
    return buffers;
  }

  /**
   * Returns one buffer in O(1). With `{ after }`, it becomes stale now but is reused only once
   * `after` settles. A second release, a stale or foreign buffer is an error that changes nothing.
   */
  release(buffer: MlxBuffer, options?: FenceOptions): void {
    const resources = this.resources;
    resources.checkOpen("release");
    checkBuffer(buffer, "release");
    if (buffer.owner !== this) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `release: the buffer (address 0x${buffer.address.toString(16)}) belongs to another pool or was allocated by a device directly`,
        { value: buffer.address },
      );
    }
    this.endLease(buffer.slot, buffer.generation, options, buffer);
  }

  /** @internal `release` once the lease is known to be this pool's (see `LeaseIdPool`). */
  endLease(
    slot: LeaseSlot,
    generation: number,
    options: FenceOptions | undefined,
    key: unknown,
  ): void {
    const resources = this.resources;
    // Taken first: the store may merge the freed range away (the view is ended all the same).
    const view = this.strictViews ? slot.leaseView : null;
    resources.buckets.release(slot, generation, fenceOf(options));
    if (view !== null) endLeaseView(slot, view);
    resources.commitResidency();
    if (this.recorder !== null) this.recorder.release(key);
    if (limits.cacheLimited) afterReturn(resources);
  }

  /**
   * Returns every buffer handed out; each handle becomes stale. With `{ after }`, the buffers
   * join the free lists only when `after` settles. O(in-use), no native call.
   */
  reset(options?: FenceOptions): void {
    const resources = this.resources;
    resources.checkOpen("reset");
    const after = fenceOf(options);
    if (this.strictViews) resetStrict(resources, after);
    else {
      resources.buckets.reset(after);
      resources.commitResidency();
    }
    // Every lease ended: the ids' entries are reused from the first (a reset that threw leaves
    // them in use; dead ones are reclaimed when needed).
    this.ids?.restart();
    if (this.recorder !== null) this.recorder.reset();
    if (limits.cacheLimited) afterReturn(resources);
  }

  /**
   * Registers an exact-size buffer from `device.allocBuffer` (weights, say) with the residency
   * set this pool uses: never recycled, idempotent by address, a no-op without residency. It
   * also binds the pool to the device's set, so a device with another set is refused after it
   * for as long as that set lives.
   */
  registerExisting(device: MlxDevice, buffer: MlxBuffer): void {
    this.resources.checkOpen("registerExisting");
    checkDevice(device, "registerExisting");
    device.checkUsable("registerExisting");
    checkBuffer(buffer, "registerExisting");
    if (buffer.stale) {
      throw new MlxError(
        "STALE_BUFFER",
        "registerExisting: the buffer was freed or its lease ended",
        {
          value: buffer.address,
        },
      );
    }
    const owner = buffer.owner;
    if (!(owner instanceof MlxDevice)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        "registerExisting: takes exact-size buffers from device.allocBuffer, not pooled ones (a pool recycles its buffers at reset)",
        { value: buffer.address },
      );
    }
    if (owner !== device) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `registerExisting: the buffer belongs to device ${owner.name}, not ${device.name}`,
        { value: buffer.address },
      );
    }
    this.admit(device);
    const allocation = buffer.slot.handle;
    const set = device.memory.residency;
    if (set === undefined) return;
    if (!allocation.registered)
      allocation.registered = set.register(allocation.native, allocation.address);
    this.resources.bindExisting(device.memory);
  }

  /** Free buffers waiting for reuse. */
  freeCount(): number {
    return this.resources.buckets.freeLength;
  }

  /** Bytes (capacities) of the free buffers. */
  freeBytes(): number {
    return this.resources.buckets.freeByteLength;
  }

  /** Buffers handed out and not yet released or reset. */
  inUseCount(): number {
    return this.resources.buckets.inUseLength;
  }

  /** Frees every free buffer now and removes it from the residency set with one commit. */
  clear(): void {
    const resources = this.resources;
    resources.checkOpen("clear");
    resources.clear();
  }

  stats(): PoolStats {
    const resources = this.resources;
    const { arena, ...counts } = resources.buckets.stats();
    const stats: PoolStats = {
      ...counts,
      policy: resources.buckets.policy.name,
      residencyCommits: resources.residencyCommits,
    };
    const tracking = resources.slabHazardTracking;
    if (arena !== undefined && tracking !== undefined) {
      stats.arena = { ...arena, slabHazardTracking: tracking };
    }
    return stats;
  }

  /**
   * Records this pool's operations from now on (allocs, releases, resets), for
   * {@link stopTrace}. Throws `INVALID_ARGUMENT` when a recording is already under way.
   */
  startTrace(): void {
    if (this.resources.disposed) throw disposedError("startTrace", POOL_LABEL);
    if (this.recorder !== null) {
      throw new MlxError("INVALID_ARGUMENT", "startTrace: this pool is already recording", {
        value: "startTrace",
      });
    }
    this.recorder = new TraceRecorder();
  }

  /**
   * Ends the recording and returns it as an `mlx-pool-trace/1` document (each reset ends a
   * step) that `mlx-pool replay` accepts. Throws `INVALID_ARGUMENT` when none is under way.
   */
  stopTrace(): PoolTrace {
    const recorder = this.recorder;
    if (recorder === null) {
      throw new MlxError("INVALID_ARGUMENT", "stopTrace: no recording is under way (startTrace)", {
        value: "stopTrace",
      });
    }
    this.recorder = null;
    return recorder.finish();
  }

  /**
   * Frees every buffer the pool allocated (handles become stale) and removes them from the
   * residency set with one commit. Buffers given to `registerExisting` stay with their device.
   * Idempotent.
   */
  dispose(): void {
    if (this.resources.disposed) return;
    this.resources.checkOpen("dispose");
    droppedPools.unregister(this.resources);
    this.lastDevice = NO_DEVICE;
    this.recorder = null;
    this.resources.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal `MlxBuffer.dispose()` of a pooled buffer. */
  disposeBuffer(buffer: MlxBuffer): void {
    this.release(buffer);
  }

  /**
   * This pool's leases by number ({@link LeaseIds}): `alloc` there allocates nothing per lease.
   * The same object every call.
   */
  leaseIds(): LeaseIds {
    this.resources.checkOpen("leaseIds");
    if (this.ids === null) this.ids = new LeaseIds(this, this.resources.leaseIdBlocks);
    return this.ids;
  }

  /**
   * @internal `LeaseIds.alloc`'s lease: `alloc` without dtype and shape. Written out rather than
   * shared with `alloc`: one more call level put either hit path over V8's inlining budget in
   * some processes (bench/inlining.mjs).
   */
  leaseSlot(device: MlxDevice, byteLength: number): LeaseSlot {
    const admitted = device === this.lastDevice && !device.disposed;
    if (!admitted) this.checkPoolAndDevice(device, "LeaseIds.alloc");
    device.checkLength("LeaseIds.alloc", byteLength);
    if (!admitted) this.admit(device);
    const slot = this.resources.buckets.acquirePrechecked(byteLength, device.memory);
    if (this.strictViews) beginLeaseView(slot, byteLength);
    return slot;
  }

  /** @internal */
  traceAlloc(key: unknown, byteLength: number): void {
    if (this.recorder !== null) this.recorder.alloc(key, byteLength);
  }

  /** @internal */
  checkOpen(where: string): void {
    this.resources.checkOpen(where);
  }

  /** @internal Whether `dispose` ran. */
  get disposed(): boolean {
    return this.resources.disposed;
  }

  /** What `alloc` checks when the device is not the one it admitted last. */
  private checkPoolAndDevice(device: MlxDevice, where: string): void {
    this.resources.checkOpen(where);
    checkDevice(device, where);
    device.checkUsable(where);
  }

  /**
   * Checks that the device's residency set can be this pool's (one set per pool: a device with
   * another set is refused while the pool holds members of the first) and remembers the device.
   * The binding itself happens at the first registration.
   */
  private admit(device: MlxDevice): void {
    const memory = device.memory;
    this.resources.residency.check(memory.residency === undefined ? undefined : memory);
    this.lastDevice = device;
  }
}

/**
 * `reset` under `strictViews`: once the reset is accepted, every ended lease's view is detached
 * (fenced or not: the leases are stale at once), and no view of a lease that goes on.
 */
function resetStrict(resources: PoolResources, after: PromiseLike<unknown> | undefined): void {
  const ending = new EndingViews();
  resources.buckets.forEachInUse((slot) => ending.add(slot));
  resources.buckets.reset(after);
  ending.detach();
  resources.commitResidency();
}

/** `lastDevice` before any device: unequal to every argument, `null` and `undefined` included. */
const NO_DEVICE: unique symbol = Symbol("no device");

function checkDevice(device: MlxDevice, where: string): void {
  if (!(device instanceof MlxDevice)) {
    throw new MlxError("INVALID_ARGUMENT", `${where}: not an MlxDevice: ${describeValue(device)}`, {
      value: device,
    });
  }
}

function badRequest(request: unknown, i: number): MlxError {
  return new MlxError(
    "INVALID_ARGUMENT",
    `allocBatch: request ${i} must be [byteLength, dtype, shape], got ${describeValue(request)}`,
    { value: request },
  );
}

/**
 * One `allocBatch` request's checks; returns its element count. The tests alone run per request
 * (no handler, no message); the message, which names the request's index, is built only when
 * one fails, so that a batch costs no more than a loop of `alloc`.
 */
function checkRequestValues(
  device: MlxDevice,
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
  i: number,
): number {
  const count = device.lengthFits(byteLength)
    ? elementCountOrMinusOne(byteLength, dtype, shape)
    : -1;
  if (count < 0) throw badRequestValues(device, byteLength, dtype, shape, i);
  return count;
}

/** The error of a request {@link checkRequestValues} refused, named by its index. */
function badRequestValues(
  device: MlxDevice,
  byteLength: number,
  dtype: DType,
  shape: readonly number[],
  i: number,
): MlxError {
  const where = `allocBatch request ${i}`;
  device.checkLength(where, byteLength);
  return dtypeOrShapeError(where, byteLength, dtype, shape);
}

/** Undoes the first `count` leases of a refused hit batch, last first. */
function undoHits(
  store: BucketPool<NativeAllocation, DeviceMemory>,
  buffers: MlxBuffer[],
  count: number,
): void {
  for (let j = count - 1; j >= 0; j--)
    store.undoHit((buffers[j] as MlxBuffer).slot as Slot<NativeAllocation>);
}

function checkBuffer(buffer: MlxBuffer, where: string): void {
  if (!(buffer instanceof MlxBuffer)) {
    throw new MlxError("INVALID_ARGUMENT", `${where}: not an MlxBuffer: ${describeValue(buffer)}`, {
      value: buffer,
    });
  }
}

function fenceOf(options: FenceOptions | undefined): PromiseLike<unknown> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `options must be an object, got ${describeValue(options)}`,
      { value: options },
    );
  }
  return options.after;
}
