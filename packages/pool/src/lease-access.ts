import { MlxError } from "@mlx/errors";
import { nativeBufferHandles } from "@mlx/metal-native";
import type { LeaseSlot } from "./lease-store.js";

/**
 * What a live lease shows of its slot, for `MlxBuffer` and for lease ids alike: the caller has
 * checked that the lease is live.
 */

/** The native allocation's handle for GPU code (see `MlxBuffer.nativeHandle`). */
export function slotNativeHandle(slot: LeaseSlot): bigint {
  return nativeBufferHandles(slot.handle.native).nativeHandle;
}

/** The lease's first byte as GPU code dereferences it (see `MlxBuffer.gpuAddress`). */
export function slotGpuAddress(slot: LeaseSlot): bigint {
  const base = nativeBufferHandles(slot.handle.native).gpuAddress;
  const offset = slot.offset;
  return base === 0n || offset === undefined || offset === 0 ? base : base + BigInt(offset);
}

/**
 * The memory zero-copy views of the lease are made from: its own view under `strictViews`
 * (starting at the lease's first byte), else the whole allocation's.
 */
export function slotContents(slot: LeaseSlot, where: string): ArrayBuffer {
  const contents = slot.leaseView ?? slot.handle.contents();
  if (contents === null) {
    throw new MlxError(
      "UNSUPPORTED_BACKEND",
      `${where}: this runtime refuses zero-copy external buffers (V8 sandbox); use read() and write()`,
    );
  }
  return contents;
}

/** Where the lease starts in `contents` from {@link slotContents}. */
export function slotViewOffset(slot: LeaseSlot, contents: ArrayBuffer): number {
  return contents === slot.leaseView ? 0 : (slot.offset ?? 0);
}
