import { MlxError } from "@mlx/errors";
import type { LeaseSlot } from "./lease-store.js";

/**
 * Note [lease ids]: a lease id is `stamp * INDEX_SPAN + index`, a number below 2^53. `index`
 * names an entry of one process-wide space; the entry's stamp grows by one each time the entry
 * is given to a lease and never goes back, so an id is issued once in the life of the process:
 * an old id can never look live again, whatever pool or table reuses the entry later. An entry
 * whose stamp reached `MAX_STAMP` is retired for good. The space is cut into blocks, each owned
 * by one pool's ids at a time, so an id names the pool that issued it.
 */
const INDEX_BITS = 20;
export const INDEX_SPAN = 2 ** INDEX_BITS;
export const INDEX_MASK = INDEX_SPAN - 1;
export const MAX_STAMP = 2 ** (53 - INDEX_BITS) - 1;
export const BLOCK_BITS = 8;
export const BLOCK_SIZE = 2 ** BLOCK_BITS;
const BLOCK_COUNT = INDEX_SPAN / BLOCK_SIZE;
/** Entries the space starts with; it doubles up to INDEX_SPAN. */
const INITIAL_ENTRIES = 16 * BLOCK_SIZE;

/** Who holds a block: one pool's ids. Nothing here refers to the pool itself. */
export class BlockOwner {
  /** Blocks held, in the order they are used after each reset. */
  readonly blocks: number[] = [];
}

/** The process-wide entries. Arrays are read through the space: growing replaces them. */
class LeaseIdSpace {
  stamps = new Float64Array(INITIAL_ENTRIES);
  generations = new Float64Array(INITIAL_ENTRIES);
  byteLengths = new Float64Array(INITIAL_ENTRIES);
  slots: (LeaseSlot | undefined)[] = new Array<LeaseSlot | undefined>(INITIAL_ENTRIES).fill(
    undefined,
  );
  readonly owners: (BlockOwner | undefined)[] = new Array<BlockOwner | undefined>(BLOCK_COUNT).fill(
    undefined,
  );
  /** Blocks no owner holds, below `blockEnd`. */
  private readonly spareBlocks: number[] = [];
  /** Blocks ever handed out: `[0, blockEnd)`. */
  private blockEnd = 0;

  /** A block for `owner`: a spare one, else the next never used, growing the arrays. */
  takeBlock(owner: BlockOwner): number {
    let block = this.spareBlocks.pop();
    if (block === undefined) {
      if (this.blockEnd === BLOCK_COUNT) {
        throw new MlxError(
          "MEMORY_LIMIT",
          `lease ids: all ${INDEX_SPAN} lease id entries of this process are in use (live leases by id, over every pool); release or reset leases, or dispose pools you no longer use`,
          { value: INDEX_SPAN },
        );
      }
      block = this.blockEnd;
      if ((block + 1) * BLOCK_SIZE > this.stamps.length) this.grow();
      this.blockEnd++;
    }
    this.owners[block] = owner;
    owner.blocks.push(block);
    return block;
  }

  /** Gives back every block of `owner`; stamps stay, so its ids stay dead. */
  releaseBlocks(owner: BlockOwner): void {
    for (const block of owner.blocks) {
      this.owners[block] = undefined;
      this.slots.fill(undefined, block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE);
      this.spareBlocks.push(block);
    }
    owner.blocks.length = 0;
  }

  private grow(): void {
    const length = Math.min(this.stamps.length * 2, INDEX_SPAN);
    this.stamps = grown(this.stamps, length);
    this.generations = grown(this.generations, length);
    this.byteLengths = grown(this.byteLengths, length);
    const slots = this.slots;
    for (let i = slots.length; i < length; i++) slots.push(undefined);
  }
}

function grown(array: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(length);
  next.set(array);
  return next;
}

/** The one space of this process (of this module copy: ids never cross copies). */
export const leaseIdSpace = new LeaseIdSpace();
