import { MlxError } from "@mlx/errors";
import type { NativeAllocation } from "./device-memory.js";
import type { DType, ElementArray } from "./dtype.js";
import { slotContents, slotGpuAddress, slotNativeHandle, slotViewOffset } from "./lease-access.js";
import type { LeaseSlot } from "./lease-store.js";

/** Who can end a buffer's lease: its pool, or the device that allocated it directly. */
export interface BufferOwner {
  /** @internal Ends the lease of `buffer` (release to the pool, or free a direct allocation). */
  disposeBuffer(buffer: MlxBuffer): void;
}

/**
 * A buffer handed out by `MlxDevice.allocBuffer` or `MlxBufferPool.alloc`. It is a lease: once
 * released, reset or freed it is `stale`, and its accessors throw `STALE_BUFFER` instead of
 * showing memory that now belongs to someone else.
 */
export class MlxBuffer<T extends ElementArray = ElementArray> {
  /** The requested length. */
  readonly byteLength: number;
  readonly dtype: DType<T>;
  /**
   * The caller's array, not a copy: the pooled hot path allocates nothing but the handle, and
   * a frozen copy per lease measured 2.8x the cost of a hit (see the pool README). Pass a
   * frozen array (`Object.freeze([n])`, once) to make it immutable; `elementCount` and
   * `typed()` are fixed at allocation whatever happens to the array later.
   */
  readonly shape: readonly number[];
  /** @internal */
  readonly owner: BufferOwner;
  /** @internal */
  readonly slot: LeaseSlot;
  /** @internal The slot's generation when this lease began. */
  readonly generation: number;
  /**
   * Product of the shape's extents (1 for a scalar shape `[]`), fixed when the buffer was made.
   */
  readonly elementCount: number;

  /** @internal Made by the device and the pool only. */
  constructor(
    owner: BufferOwner,
    slot: LeaseSlot,
    byteLength: number,
    dtype: DType,
    shape: readonly number[],
    elementCount: number,
  ) {
    this.owner = owner;
    this.elementCount = elementCount;
    this.slot = slot;
    this.generation = slot.generation;
    this.byteLength = byteLength;
    // The caller names `T` as the array type of `dtype` (see `ElementArrayOf`).
    this.dtype = dtype as DType<T>;
    this.shape = shape;
  }

  /** Bytes of the underlying allocation: the bucket size for pooled buffers. */
  get capacity(): number {
    return this.slot.capacity;
  }

  /**
   * Address of the buffer's first byte: equal addresses are the same memory. Readable when
   * stale. Under the arena policy it lies `byteOffset` bytes into its slab.
   */
  get address(): bigint {
    const offset = this.slot.offset;
    const base = this.slot.handle.address;
    return offset === undefined || offset === 0 ? base : base + BigInt(offset);
  }

  /**
   * Where this buffer's bytes start inside its native allocation ({@link nativeHandle}): the
   * range's offset in its slab under the arena policy, 0 for a buffer of its own. Bind
   * `[byteOffset, byteOffset + byteLength)`. Readable when stale.
   */
  get byteOffset(): number {
    return this.slot.offset ?? 0;
  }

  /**
   * @internal The native allocation holding this buffer (its slab under the arena policy), for
   * the native-handle getters: its handle with {@link byteOffset} names the buffer's bytes.
   */
  get nativeAllocation(): NativeAllocation {
    return this.slot.handle;
  }

  /**
   * What GPU code takes (DLPack's conventions; `include/mlx_native/interop.h` of
   * `@mlx/metal-native` shows the casts). metal: the `id<MTLBuffer>`, not retained for you;
   * cuda: the managed device pointer; host: the host pointer. Valid while this lease lives
   * (for a direct `allocBuffer` buffer, until its `dispose`). Throws `STALE_BUFFER` after the
   * lease ended.
   */
  get nativeHandle(): bigint {
    this.checkLive("nativeHandle");
    return slotNativeHandle(this.slot);
  }

  /**
   * The address GPU code dereferences: the buffer's first byte, `byteOffset` past its native
   * allocation's. metal: `MTLBuffer.gpuAddress` (0n where the OS lacks it, before macOS 13);
   * cuda: the device pointer; host: the host pointer. Throws `STALE_BUFFER` after the lease ended.
   */
  get gpuAddress(): bigint {
    this.checkLive("gpuAddress");
    return slotGpuAddress(this.slot);
  }

  /** True once the lease ended (release, reset, clear, dispose). */
  get stale(): boolean {
    return this.slot.generation !== this.generation;
  }

  /** The requested bytes, zero-copy. Throws `STALE_BUFFER` after the lease ended. */
  bytes(): Uint8Array {
    this.checkLive("bytes");
    const contents = slotContents(this.slot, "bytes");
    return new Uint8Array(contents, slotViewOffset(this.slot, contents), this.byteLength);
  }

  /**
   * The elements, zero-copy, as the dtype's typed array (`Uint16Array` for f16 and bf16), of
   * `elementCount` elements. Throws `STALE_BUFFER` after the lease ended.
   */
  typed(): T {
    this.checkLive("typed");
    const contents = slotContents(this.slot, "typed");
    return new this.dtype.arrayType(
      contents,
      slotViewOffset(this.slot, contents),
      this.elementCount,
    );
  }

  /** Copies `length` bytes from `offset` out; works where zero-copy views are refused. */
  read(offset = 0, length = this.byteLength - offset): Uint8Array {
    this.checkLive("read");
    this.checkRange("read", offset, length);
    return this.slot.handle.native.read((this.slot.offset ?? 0) + offset, length);
  }

  /** Copies `data` in at `offset`; works where zero-copy views are refused. */
  write(data: Uint8Array, offset = 0): void {
    this.checkLive("write");
    if (!(data instanceof Uint8Array)) {
      throw new MlxError("INVALID_ARGUMENT", "write: data must be a Uint8Array", { value: data });
    }
    this.checkRange("write", offset, data.byteLength);
    this.slot.handle.native.write((this.slot.offset ?? 0) + offset, data);
  }

  /** Ends this lease: a pooled buffer is released to its pool, a direct one freed now. */
  dispose(): void {
    this.owner.disposeBuffer(this);
  }

  [Symbol.dispose](): void {
    if (!this.stale) this.dispose();
  }

  private checkLive(where: string): void {
    if (this.slot.generation !== this.generation) {
      throw new MlxError(
        "STALE_BUFFER",
        `${where}: this buffer's lease ended (released, reset or freed); its memory may belong to another buffer now`,
        { value: this.address },
      );
    }
  }

  private checkRange(where: string, offset: number, length: number): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.byteLength
    ) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `${where}: range [${offset}, ${offset}+${length}) is outside the buffer's ${this.byteLength} bytes`,
        { value: offset },
      );
    }
  }
}
