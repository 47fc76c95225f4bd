import { describeValue, MlxError } from "@mlx/errors";
import { type BufferOwner, MlxBuffer } from "./buffer.js";
import type { MlxDevice } from "./device.js";
import type { DType, ElementArrayOf } from "./dtype.js";
import { slotContents, slotGpuAddress, slotNativeHandle, slotViewOffset } from "./lease-access.js";
import {
  BLOCK_BITS,
  BLOCK_SIZE,
  type BlockOwner,
  INDEX_MASK,
  INDEX_SPAN,
  leaseIdSpace,
  MAX_STAMP,
} from "./lease-id-space.js";
import type { LeaseSlot } from "./lease-store.js";
import type { FenceOptions } from "./options.js";
import { checkDtypeAndShape } from "./validate.js";

/**
 * A lease named by a number instead of an `MlxBuffer` handle: a safe integer, issued once in the
 * life of the process (see Note [lease ids] in lease-id-space.ts).
 */
export type LeaseId = number;

/** What {@link LeaseIds} needs of its pool; `MlxBufferPool` provides it. */
export interface LeaseIdPool extends BufferOwner {
  /** @internal A lease of `byteLength` bytes on `device`, every check passed first. */
  leaseSlot(device: MlxDevice, byteLength: number): LeaseSlot;
  /** @internal Ends a live lease as `release` does; `key` names it in a trace. */
  endLease(
    slot: LeaseSlot,
    generation: number,
    options: FenceOptions | undefined,
    key: unknown,
  ): void;
  /** @internal Records a lease begun under `key` when a trace is under way. */
  traceAlloc(key: unknown, byteLength: number): void;
  /** @internal Throws `DISPOSED` (or refuses re-entry from `allocBatch`'s requests). */
  checkOpen(where: string): void;
  /** @internal */
  readonly disposed: boolean;
}

/**
 * The pool's leases by number, for the hottest loops: `alloc` returns a {@link LeaseId} and
 * allocates nothing, where `MlxBufferPool.alloc` allocates a handle. The lease is the same one
 * (it counts in the pool's figures, ends at `reset`, release or dispose); `buffer(id, ...)` shows
 * it as an `MlxBuffer` when one is needed. Every accessor checks the id: one whose lease ended
 * throws `STALE_BUFFER`, one this pool never issued `INVALID_ARGUMENT`.
 */
export class LeaseIds {
  private readonly pool: LeaseIdPool;
  private readonly owner: BlockOwner;
  /** Entries whose lease was released by id: reused first. */
  private readonly freeEntries: number[] = [];
  /** Position in `owner.blocks` of the block being filled. */
  private blockPosition = -1;
  /** Next unused entry of that block, and the block's end. */
  private cursor = 0;
  private cursorEnd = 0;

  /** @internal Made by `MlxBufferPool.leaseIds()`. */
  constructor(pool: LeaseIdPool, owner: BlockOwner) {
    this.pool = pool;
    this.owner = owner;
  }

  /**
   * A lease of `byteLength` bytes on `device`, as `MlxBufferPool.alloc` makes it (the same
   * checks, size classes and residency), named by a number.
   */
  alloc(device: MlxDevice, byteLength: number): LeaseId {
    // The entry is chosen before the lease begins, so that a full id space changes nothing.
    const free = this.freeEntries;
    const index =
      free.length > 0
        ? (free[free.length - 1] as number)
        : this.cursor < this.cursorEnd
          ? this.cursor
          : this.nextEntry();
    const space = leaseIdSpace;
    const stamp = (space.stamps[index] as number) + 1;
    if (stamp > MAX_STAMP) return this.retireAndAlloc(device, byteLength);
    const slot = this.pool.leaseSlot(device, byteLength);
    if (free.length > 0) free.pop();
    else this.cursor++;
    space.stamps[index] = stamp;
    space.slots[index] = slot;
    space.generations[index] = slot.generation;
    space.byteLengths[index] = byteLength;
    const id = stamp * INDEX_SPAN + index;
    this.pool.traceAlloc(id, byteLength);
    return id;
  }

  /**
   * Ends the lease as `MlxBufferPool.release` does (with `{ after }`, reused only once it
   * settles); a second release or a stale id is an error that changes nothing.
   */
  release(id: LeaseId, options?: FenceOptions): void {
    this.pool.checkOpen("LeaseIds.release");
    const index = this.liveIndex(id, "LeaseIds.release");
    const space = leaseIdSpace;
    const slot = space.slots[index] as LeaseSlot;
    this.pool.endLease(slot, space.generations[index] as number, options, id);
    space.slots[index] = undefined;
    this.freeEntries.push(index);
  }

  /** Whether `id` names a live lease of this pool (false once it ended, or for another pool's). */
  isLive(id: LeaseId): boolean {
    if (typeof id !== "number") throw notAnId(id, "LeaseIds.isLive");
    return this.liveIndexOrMinusOne(id) >= 0;
  }

  /** The requested length. */
  byteLength(id: LeaseId): number {
    return leaseIdSpace.byteLengths[this.liveIndex(id, "LeaseIds.byteLength")] as number;
  }

  /** Bytes of the memory behind the lease (its size class). */
  capacity(id: LeaseId): number {
    return this.liveSlot(id, "LeaseIds.capacity").capacity;
  }

  /** Where the lease's bytes start inside {@link nativeHandle} (see `MlxBuffer.byteOffset`). */
  byteOffset(id: LeaseId): number {
    return this.liveSlot(id, "LeaseIds.byteOffset").offset ?? 0;
  }

  /** What GPU code binds, at {@link byteOffset} (see `MlxBuffer.nativeHandle`). */
  nativeHandle(id: LeaseId): bigint {
    return slotNativeHandle(this.liveSlot(id, "LeaseIds.nativeHandle"));
  }

  /** The lease's first byte as GPU code dereferences it (see `MlxBuffer.gpuAddress`). */
  gpuAddress(id: LeaseId): bigint {
    return slotGpuAddress(this.liveSlot(id, "LeaseIds.gpuAddress"));
  }

  /** The requested bytes, zero-copy, valid while the lease lives (see `MlxBuffer.bytes`). */
  bytes(id: LeaseId): Uint8Array {
    const index = this.liveIndex(id, "LeaseIds.bytes");
    const space = leaseIdSpace;
    const slot = space.slots[index] as LeaseSlot;
    const contents = slotContents(slot, "LeaseIds.bytes");
    return new Uint8Array(contents, slotViewOffset(slot, contents), space.byteLengths[index]);
  }

  /**
   * The lease as an `MlxBuffer` of `dtype` and `shape` (checked against its length, as `alloc`
   * checks them): the same lease, so ending either ends both.
   */
  buffer<D extends DType>(
    id: LeaseId,
    dtype: D,
    shape: readonly number[],
  ): MlxBuffer<ElementArrayOf<D>> {
    const index = this.liveIndex(id, "LeaseIds.buffer");
    const space = leaseIdSpace;
    const byteLength = space.byteLengths[index] as number;
    const count = checkDtypeAndShape("LeaseIds.buffer", byteLength, dtype, shape);
    const slot = space.slots[index] as LeaseSlot;
    return new MlxBuffer<ElementArrayOf<D>>(this.pool, slot, byteLength, dtype, shape, count);
  }

  /** @internal After the pool's reset: every entry's lease ended, so all are reused in order. */
  restart(): void {
    this.freeEntries.length = 0;
    this.blockPosition = -1;
    this.cursor = 0;
    this.cursorEnd = 0;
  }

  private liveSlot(id: LeaseId, where: string): LeaseSlot {
    return leaseIdSpace.slots[this.liveIndex(id, where)] as LeaseSlot;
  }

  /** The entry of a live lease of this pool named by `id`; anything else throws. */
  private liveIndex(id: LeaseId, where: string): number {
    const index = typeof id === "number" ? this.liveIndexOrMinusOne(id) : -1;
    if (index < 0) throw this.badId(id, where);
    return index;
  }

  private liveIndexOrMinusOne(id: number): number {
    // `>>> 0` keeps the low 32 bits of an integer; for anything but an issued id the stamp
    // comparison below fails (NaN, fractions, negatives, 2^53 and up).
    const index = (id >>> 0) & INDEX_MASK;
    const space = leaseIdSpace;
    const slot = space.slots[index];
    return slot !== undefined &&
      (space.stamps[index] as number) * INDEX_SPAN + index === id &&
      space.owners[index >>> BLOCK_BITS] === this.owner &&
      slot.generation === space.generations[index]
      ? index
      : -1;
  }

  /** Why `id` names no live lease here: stale, another pool's, or not an id at all. */
  private badId(id: unknown, where: string): MlxError {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < INDEX_SPAN) {
      return notAnId(id, where);
    }
    const index = id % INDEX_SPAN;
    const stamp = (id - index) / INDEX_SPAN;
    const space = leaseIdSpace;
    if (this.pool.disposed) {
      return new MlxError("STALE_BUFFER", `${where}: lease ${id} ended: its pool was disposed`, {
        value: id,
      });
    }
    if (
      space.owners[index >>> BLOCK_BITS] !== this.owner ||
      !(stamp <= (space.stamps[index] ?? 0))
    ) {
      return new MlxError(
        "INVALID_ARGUMENT",
        `${where}: ${id} is not a lease id of this pool (another pool's, or never issued)`,
        { value: id },
      );
    }
    return new MlxError(
      "STALE_BUFFER",
      `${where}: lease ${id} ended (released, reset or freed); its memory may belong to another lease now`,
      { value: id },
    );
  }

  /**
   * The current block is full: the next block this pool holds; past the last, entries whose
   * lease ended other than by `release(id)` are reclaimed, and a new block taken unless they
   * are a quarter of those held. Returns the entry `alloc` takes next.
   */
  private nextEntry(): number {
    this.pool.checkOpen("LeaseIds.alloc");
    const blocks = this.owner.blocks;
    if (this.blockPosition + 1 >= blocks.length) {
      const used = blocks.length * BLOCK_SIZE;
      const reclaimed = used > 0 ? this.reclaimDead() : 0;
      if (reclaimed === 0) leaseIdSpace.takeBlock(this.owner);
      else {
        // The reclaimed entries are used first; a new block, for later, only when they are few.
        if (reclaimed * 4 < used) this.takeBlockIfAny();
        return this.freeEntries[this.freeEntries.length - 1] as number;
      }
    }
    this.blockPosition++;
    this.cursor = (blocks[this.blockPosition] as number) * BLOCK_SIZE;
    this.cursorEnd = this.cursor + BLOCK_SIZE;
    return this.cursor;
  }

  /** A block for later; a full id space is no error while reclaimed entries remain. */
  private takeBlockIfAny(): void {
    try {
      leaseIdSpace.takeBlock(this.owner);
    } catch {
      // The entries just reclaimed serve until then.
    }
  }

  /** Files every used entry whose lease ended but was not released by id; returns how many. */
  private reclaimDead(): number {
    const space = leaseIdSpace;
    const blocks = this.owner.blocks;
    let reclaimed = 0;
    for (let b = 0; b <= this.blockPosition; b++) {
      const start = (blocks[b] as number) * BLOCK_SIZE;
      const end = b === this.blockPosition ? this.cursor : start + BLOCK_SIZE;
      for (let index = start; index < end; index++) {
        const slot = space.slots[index];
        if (slot === undefined || slot.generation === space.generations[index]) continue;
        space.slots[index] = undefined;
        this.freeEntries.push(index);
        reclaimed++;
      }
    }
    return reclaimed;
  }

  /** The entry `alloc` chose has issued its last id: it is passed over for good. */
  private retireAndAlloc(device: MlxDevice, byteLength: number): LeaseId {
    this.pool.checkOpen("LeaseIds.alloc");
    if (this.freeEntries.length > 0) this.freeEntries.pop();
    else this.cursor++;
    return this.alloc(device, byteLength);
  }
}

function notAnId(id: unknown, where: string): MlxError {
  return new MlxError(
    "INVALID_ARGUMENT",
    `${where}: not a lease id (a number from LeaseIds.alloc): ${describeValue(id)}`,
    { value: id },
  );
}
