import { MlxError } from "@mlx/errors";
import type { GpuSlot, SlotStore } from "./slot-store.js";

/** One lease of a pooled GPUBuffer, as {@link WebGpuBufferPool.alloc} hands it out. */
export interface WebGpuBuffer {
  /** The pooled buffer, `capacity` bytes; bind `[0, byteLength)`. Throws `STALE_BUFFER` after the lease. */
  readonly buffer: GPUBuffer;
  /** The requested length. */
  readonly byteLength: number;
  /** The buffer's size: the size class of `byteLength`. */
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
  readonly store: SlotStore;
  /** @internal */
  readonly slot: GpuSlot;
  /** @internal */
  readonly generation: number;

  constructor(store: SlotStore, slot: GpuSlot, byteLength: number, usage: GPUBufferUsageFlags) {
    this.store = store;
    this.slot = slot;
    this.generation = slot.generation;
    this.byteLength = byteLength;
    this.usage = usage;
  }

  get capacity(): number {
    return this.slot.capacity;
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
