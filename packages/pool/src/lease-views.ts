import type { NativeBuffer } from "@mlx/metal-native";
import type { LeaseSlot } from "./lease-store.js";

/**
 * `strictViews`: each lease's views come from an ArrayBuffer of its own, over exactly its
 * requested bytes, that the native layer detaches when the lease ends. It is kept on the lease's
 * slot (a size class's slot, or an arena's range), never on the native allocation, because a
 * slab holds many live leases at once: ending one detaches its view and no other.
 */

/** A lease of `byteLength` bytes begins on `slot`: its own view, at the slot's offset. */
export function beginLeaseView(slot: LeaseSlot, byteLength: number): void {
  const allocation = slot.handle;
  if (allocation.memory.zeroCopy) {
    slot.leaseView = allocation.native.leaseView(byteLength, slot.offset);
  }
}

/**
 * The views of leases about to end, taken before the store frees their ranges (a freed arena
 * range may be merged into a neighbour), detached once the store accepted the change: a
 * refused `reset` or `release` ends no view.
 */
export class EndingViews {
  private readonly slots: LeaseSlot[] = [];
  private readonly natives: NativeBuffer[] = [];
  private readonly views: ArrayBuffer[] = [];

  /** Takes the view of `slot`'s lease, if it has one. */
  add(slot: LeaseSlot): void {
    const view = slot.leaseView;
    if (view === null) return;
    this.slots.push(slot);
    this.natives.push(slot.handle.native);
    this.views.push(view);
  }

  /** Detaches every view taken: each reads as length 0 from now on. */
  detach(): void {
    for (let i = 0; i < this.views.length; i++) {
      (this.slots[i] as LeaseSlot).leaseView = null;
      (this.natives[i] as NativeBuffer).endLeaseView(this.views[i]);
    }
  }
}

/** One lease's view ended (its `release` was accepted). */
export function endLeaseView(slot: LeaseSlot, view: ArrayBuffer | null): void {
  if (view === null) return;
  slot.leaseView = null;
  slot.handle.native.endLeaseView(view);
}
