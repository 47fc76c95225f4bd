import type { Slot } from "./slot.js";
import type { StagedSlots } from "./staged-slots.js";

/**
 * Slots out of circulation behind one fence: `slots[0..count)`. A pool keeps settled batches for
 * reuse, their arrays and their two callbacks with them, so that a fenced reset allocates nothing
 * of its own beyond what `then` does. Reuse is safe: a promise calls one of its callbacks once,
 * and the batch is reused only after that call.
 */
export class FenceBatch<H> {
  /** Entries past `count` are leftovers of an earlier use. */
  slots: Slot<H>[] = [];
  count = 0;
  /** The capacities of `slots[0..count)` summed, or -1 until someone needs the sum. */
  bytes = 0;
  /**
   * Whether `slots[0..count)` are staged in `staged`, to be filed in one splice per class when
   * the fence completes (a fenced reset without a recycle hook), or are to be filed one by one.
   */
  isStaged = false;
  /** Made by the first fenced reset this batch serves (a fenced release needs none). */
  staged: StagedSlots<H> | null = null;
  /** Position in the pool's list of pending batches, for O(1) removal. */
  index = -1;
  readonly onFulfilled: () => void;
  readonly onRejected: () => void;

  constructor(settle: (batch: FenceBatch<H>, completed: boolean) => void) {
    this.onFulfilled = () => settle(this, true);
    this.onRejected = () => settle(this, false);
  }
}
