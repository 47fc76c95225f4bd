/** Where a block is in its life. */
export enum BlockState {
  /** In the fit's free lists (a large block), or on its chunk's free list (a small cell). */
  Free = 0,
  /** Handed out to a caller. */
  Live = 1,
  /** A large block that backs a chunk of small cells. */
  Chunk = 2,
  /** Merged into a neighbour, part of a returned chunk, or of a freed slab: never live again. */
  Dead = 3,
  /** A freed large block kept whole for a request of its exact size (not merged yet). */
  Cached = 4,
}

/** One native allocation that the arena cuts into blocks. */
export class Slab<S> {
  readonly handle: S;
  readonly size: number;
  /** Distinct within one arena, in the order slabs were made. */
  readonly id: number;
  /** The arena that made it: a block of another arena is refused. */
  readonly owner: object;
  /** The block at offset 0; the others follow through `nextPhys`. */
  first: ArenaBlock<S> | null = null;
  /** Set once its native memory is freed: no block of it is live after that. */
  released = false;
  /** Links of the list of entirely free slabs (intrusive, so tracking it never allocates). */
  emptyPrev: Slab<S> | null = null;
  emptyNext: Slab<S> | null = null;
  inEmptyList = false;

  constructor(handle: S, size: number, id: number, owner: object) {
    this.handle = handle;
    this.size = size;
    this.id = id;
    this.owner = owner;
  }
}

/**
 * A byte range `[offset, offset + size)` of a slab: a large block of the segregated fit (linked
 * to its physical neighbours), or a cell of a small-class chunk. A caller's lease is
 * `(block, block.generation)` as returned: the generation moves on when the block is freed, so an
 * old pair is never live again, even when the object is reused for another range.
 */
export class ArenaBlock<S> {
  slab: Slab<S>;
  offset: number;
  size: number;
  /** Requested length of the live allocation (0 otherwise). */
  requested = 0;
  state: BlockState = BlockState.Free;
  /**
   * Of a range handed out: no byte of it was handed out before, so it still reads as the slab's
   * fresh memory (zero where the native allocation zero-fills). A range partly recycled is not.
   */
  fresh = true;
  /**
   * Of a free or chunk block: bytes from this offset to the block's end were never handed out.
   * Blocks are cut from the front, so a suffix is all that needs keeping.
   */
  freshFrom: number;
  generation = 0;
  /** The chunk a small cell belongs to, or that a `Chunk` block backs; null otherwise. */
  chunk: Chunk<S> | null = null;
  prevPhys: ArenaBlock<S> | null = null;
  nextPhys: ArenaBlock<S> | null = null;
  prevFree: ArenaBlock<S> | null = null;
  nextFree: ArenaBlock<S> | null = null;
  /** The fit's list a free large block is filed in (kept so that removal needs no mapping). */
  list = -1;
  /**
   * Free for the arena's caller: a pool keeps the block's position in its list of live leases
   * here, so that ending one lease is O(1) without a map. The arena never reads it.
   */
  leaseIndex = -1;
  /**
   * Free for the arena's caller, never read here: `@mlx/pool` keeps the live lease's own
   * detachable view of this range in it (`strictViews`).
   */
  leaseView: ArrayBuffer | null = null;

  constructor(slab: Slab<S>, offset: number, size: number) {
    this.slab = slab;
    this.offset = offset;
    this.size = size;
    this.freshFrom = offset;
  }

  /** Bytes of the range (`size`), under the name pools give a lease's room. */
  get capacity(): number {
    return this.size;
  }

  /** The slab's handle: the native allocation that holds this range at `offset`. */
  get handle(): S {
    return this.slab.handle;
  }
}

/** A chunk of one small class: cells carved on demand, freed cells on a LIFO list. */
export interface Chunk<S> {
  /** The large block the cells live in. */
  readonly block: ArenaBlock<S>;
  readonly classIndex: number;
  readonly cellSize: number;
  readonly cellCount: number;
  /** Cells carved so far (from the start of the block). */
  carved: number;
  /** Cells handed out now. */
  live: number;
  freeHead: ArenaBlock<S> | null;
  prev: Chunk<S> | null;
  next: Chunk<S> | null;
  /** In its class's list of chunks with room. */
  listed: boolean;
}

/**
 * Block objects no longer in use (merged away), reused by later splits so that steady-state
 * splitting and merging leaves the garbage collector nothing to do. Their generation keeps
 * counting, so stale pairs stay stale.
 */
export class BlockRecycler<S> {
  private readonly spare: ArenaBlock<S>[] = [];

  make(slab: Slab<S>, offset: number, size: number): ArenaBlock<S> {
    const block = this.spare.pop();
    if (block === undefined) return new ArenaBlock(slab, offset, size);
    block.slab = slab;
    block.offset = offset;
    block.size = size;
    block.state = BlockState.Free;
    block.fresh = true;
    block.freshFrom = offset;
    return block;
  }

  /** Marks `block` dead (stale for good under its current generation) and keeps it for reuse. */
  retire(block: ArenaBlock<S>): void {
    block.state = BlockState.Dead;
    block.generation++;
    block.requested = 0;
    block.chunk = null;
    block.prevPhys = null;
    block.nextPhys = null;
    block.prevFree = null;
    block.nextFree = null;
    this.spare.push(block);
  }

  /** Forgets every kept object (the arena is disposed). */
  clear(): void {
    this.spare.length = 0;
  }
}
