import {
  type BucketPoolStats,
  checkByteLength,
  disposedError,
  type Fence,
  kSlabRoundBytes,
} from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import { arenaSlotStore } from "./arena-slot-store.js";
import type { GpuLeaseStore } from "./lease-store.js";
import {
  checkOptions,
  offsetAlignmentOf,
  resolvePolicy,
  type WebGpuPoolOptions,
} from "./options.js";
import { slotStore } from "./slot-store.js";
import { checkUsage, isMappable } from "./usage.js";
import { PooledBuffer, type WebGpuBuffer } from "./webgpu-buffer.js";

/** What {@link WebGpuBufferPool.stats} reports: the fields of `@mlx/pool`'s `PoolStats`. */
export interface PoolStats extends BucketPoolStats {
  /** Name of the size policy. */
  policy: string;
  /** Always 0: WebGPU has no residency sets. Kept so both pools report the same fields. */
  residencyCommits: number;
}

/** Options of `release` and `reset`. */
export interface ReturnOptions {
  /** Keep the buffers out of circulation until this settles (`queue.onSubmittedWorkDone()`). */
  after?: PromiseLike<unknown> | undefined;
}

/**
 * Pooled GPUBuffers for one `GPUDevice`: LIFO free lists per (size class, usage), an arena
 * `reset`, leases that go stale, limits, and fences.
 *
 * Note [when a buffer may return]: WebGPU orders work submitted to one queue, so a buffer used
 * only by submitted commands may be released at once: a later `queue.writeBuffer` or submission
 * by its next user runs after that work. A buffer used by commands that are encoded but not yet
 * submitted must not be released before `queue.submit`: `writeBuffer` runs at once on the
 * queue timeline, so the next user's write would land before the earlier commands read it.
 * The pool cannot see encoders, so this is the caller's rule: release or reset after submit, or
 * pass `{ after }` with a promise that settles once it is safe. Mapped buffers (mapState other
 * than "unmapped") are refused until `unmap()`: a mapped buffer cannot be used by the GPU.
 */
export class WebGpuBufferPool {
  readonly device: GPUDevice;
  readonly label: string;
  /** The device's `maxBufferSize`: larger requests are `INVALID_ARGUMENT`. */
  readonly maxBufferSize: number;
  private readonly store: GpuLeaseStore;
  /** Under the arena: the largest request a slab can hold (slabs are multiples of 16 KiB). */
  private readonly arenaMaxRequest: number;
  /** Live leases whose buffers could be mapped: `release`/`reset` check they are unmapped. */
  private readonly mappable = new Set<PooledBuffer>();
  private disposed = false;

  constructor(device: GPUDevice, options?: WebGpuPoolOptions) {
    if (
      typeof device !== "object" ||
      device === null ||
      typeof (device as GPUDevice).createBuffer !== "function"
    ) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `WebGpuBufferPool needs a GPUDevice, got ${describeValue(device)}`,
        { value: device },
      );
    }
    checkOptions(options);
    this.device = device;
    this.label = options?.label ?? "mlx-webgpu-pool";
    this.maxBufferSize = device.limits?.maxBufferSize ?? Number.MAX_SAFE_INTEGER;
    const label = this.label;
    if (options?.policy === "arena") {
      this.arenaMaxRequest = Math.floor(this.maxBufferSize / kSlabRoundBytes) * kSlabRoundBytes;
      this.store = arenaSlotStore({
        allocate: (bytes, usage) =>
          device.createBuffer({ size: bytes, usage, label: `${label} slab ${bytes}` }),
        destroy: (buffer) => buffer.destroy(),
        alignment: offsetAlignmentOf(device),
        maxBufferSize: this.maxBufferSize,
        maxFreeBytes: options.maxFreeBytes,
        maxHeldBytes: options.maxHeldBytes,
        maxBuffers: options.maxBuffers,
      });
      return;
    }
    this.arenaMaxRequest = Number.POSITIVE_INFINITY;
    this.store = slotStore({
      allocate: (capacity, usage) =>
        device.createBuffer({ size: capacity, usage, label: `${label} ${capacity}` }),
      destroy: (buffer) => buffer.destroy(),
      policy: resolvePolicy(options?.policy, this.maxBufferSize),
      maxFreeBytes: options?.maxFreeBytes,
      maxHeldBytes: options?.maxHeldBytes,
      maxBuffers: options?.maxBuffers,
    });
  }

  /**
   * A lease of at least `byteLength` bytes with exactly these usage flags: the most recently
   * freed buffer of its (size class, usage), else a fresh `createBuffer` (zeroed by WebGPU).
   * A reused buffer keeps what its last user wrote.
   */
  alloc(byteLength: number, usage: GPUBufferUsageFlags): WebGpuBuffer {
    if (this.disposed) throw disposedError("alloc", "WebGpuBufferPool");
    checkByteLength(byteLength, "alloc");
    if (byteLength > this.maxBufferSize) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `alloc: byteLength ${byteLength} is above the device's maxBufferSize ${this.maxBufferSize}`,
        { value: byteLength },
      );
    }
    checkUsage(usage, "alloc");
    if (this.arenaMaxRequest !== Number.POSITIVE_INFINITY)
      this.checkArenaRequest(byteLength, usage);
    const lease = new PooledBuffer(
      this.store,
      this.store.acquirePrechecked(byteLength, usage),
      byteLength,
      usage,
    );
    if (isMappable(usage)) this.mappable.add(lease);
    return lease;
  }

  /** Ends one lease in O(1): its buffer is free at once, or once `after` settles. */
  release(buffer: WebGpuBuffer, options?: ReturnOptions): void {
    if (this.disposed) throw disposedError("release", "WebGpuBufferPool");
    const after = afterOf(options, "release");
    const lease = this.ownLease(buffer);
    // Only mappable leases are in the set: others skip the lookup (it would hash every lease).
    const mappable = isMappable(lease.usage);
    if (mappable && !lease.stale) checkUnmapped(lease, "release");
    this.store.release(lease.slot, lease.generation, after);
    if (mappable) this.mappable.delete(lease);
  }

  /** Ends every lease: all buffers in use are free at once, or once `after` settles. */
  reset(options?: ReturnOptions): void {
    if (this.disposed) throw disposedError("reset", "WebGpuBufferPool");
    const after = afterOf(options, "reset");
    if (this.mappable.size > 0) {
      for (const lease of this.mappable) checkUnmapped(lease, "reset");
      this.mappable.clear();
    }
    this.store.reset(after);
  }

  /** Destroys every free GPUBuffer now; returns how many. Buffers in use or fenced stay. */
  clear(): number {
    if (this.disposed) throw disposedError("clear", "WebGpuBufferPool");
    return this.store.clear();
  }

  stats(): PoolStats {
    if (this.disposed) throw disposedError("stats", "WebGpuBufferPool");
    return { ...this.store.stats(), policy: this.store.policy.name, residencyCommits: 0 };
  }

  /** Destroys every GPUBuffer this pool made (fenced ones when their fence settles). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.mappable.clear();
    this.store.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * A mapped slab would hold back every range in it, so mappable usages are refused under the
   * arena; a request is at most the largest slab the device accepts.
   */
  private checkArenaRequest(byteLength: number, usage: number): void {
    if (isMappable(usage)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `alloc: usage ${usage} includes MAP_READ or MAP_WRITE, which the arena policy refuses (mapping a slab would map every lease in it); use a pool of the pow2 policy for staging buffers`,
        { value: usage },
      );
    }
    if (Math.ceil(byteLength / kSlabRoundBytes) * kSlabRoundBytes > this.arenaMaxRequest) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `alloc: byteLength ${byteLength} needs a slab above the device's maxBufferSize ${this.maxBufferSize} (slabs are multiples of 16 KiB)`,
        { value: byteLength },
      );
    }
  }

  private ownLease(buffer: WebGpuBuffer): PooledBuffer {
    if (!(buffer instanceof PooledBuffer) || buffer.store !== this.store) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `release: ${describeValue(buffer)} is not a lease of this pool`,
        { value: buffer },
      );
    }
    return buffer;
  }
}

function afterOf(options: ReturnOptions | undefined, where: string): Fence | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: options must be an object like { after }, got ${describeValue(options)}`,
      { value: options },
    );
  }
  const after = options.after;
  if (after !== undefined && typeof (after as Fence | null)?.then !== "function") {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: after must be a promise or another thenable, got ${describeValue(after)}`,
      { value: after },
    );
  }
  return after;
}

function checkUnmapped(lease: PooledBuffer, where: string): void {
  const state = lease.slot.handle.mapState;
  if (state !== undefined && state !== "unmapped") {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `${where}: a buffer of ${lease.byteLength} bytes is ${state}; unmap() it (after its mapAsync settled) before it returns to the pool`,
      { value: state },
    );
  }
}
