import { MlxError } from "@mlx/errors";
import type { GpuLease, GpuLeaseStore } from "./lease-store.js";

/** One lease of a pooled GPUBuffer, as {@link WebGpuBufferPool.alloc} hands it out. */
export interface WebGpuBuffer {
  /**
   * The pooled buffer; bind `[byteOffset, byteOffset + byteLength)`. Throws `STALE_BUFFER` after
   * the lease. Under `policy: "arena"` it is a slab that other leases share.
   */
  readonly buffer: GPUBuffer;
  /**
   * Where the lease starts in `buffer`: 0 for a buffer of its own; under the arena its range's
   * offset, a multiple of the device's storage and uniform offset alignments.
   */
  readonly byteOffset: number;
  /** The requested length. */
  readonly byteLength: number;
  /** The lease's room: the size class of `byteLength` (its range's size under the arena). */
  readonly capacity: number;
  readonly usage: GPUBufferUsageFlags;
  /** True once the lease ended (release, reset, dispose). */
  readonly stale: boolean;
}

/** The lease behind {@link WebGpuBuffer}: a slot and the generation it was leased under. */
export class PooledBuffer implements WebGpuBuffer {
  readonly byteLength: number;
  readonly usage: GPUBufferUsageFlags;
  /** @internal */
  readonly store: GpuLeaseStore;
  /** @internal */
  readonly slot: GpuLease;
  /** @internal */
  readonly generation: number;

  constructor(
    store: GpuLeaseStore,
    slot: GpuLease,
    byteLength: number,
    usage: GPUBufferUsageFlags,
  ) {
    this.store = store;
    this.slot = slot;
    this.generation = slot.generation;
    this.byteLength = byteLength;
    this.usage = usage;
  }

  get capacity(): number {
    return this.slot.capacity;
  }

  get byteOffset(): number {
    return this.slot.offset ?? 0;
  }

  get stale(): boolean {
    return !this.store.isLive(this.slot, this.generation);
  }

  get buffer(): GPUBuffer {
    if (!this.store.isLive(this.slot, this.generation)) {
      throw new MlxError(
        "STALE_BUFFER",
        `this lease of ${this.byteLength} bytes ended (released, reset or disposed): its GPUBuffer may serve another caller now`,
        { value: this.generation },
      );
    }
    return this.slot.handle;
  }
}
