import { kChunkBytes, kSmallMaxBytes } from "./arena-options.js";
import { type ArenaBlock, type BlockRecycler, BlockState, type Chunk } from "./slab.js";

/** Classes per power of two above eight granules. */
const kClassesPerOctave = 8;

/**
 * Fine size classes for requests up to 16 KiB: one per granule up to eight granules (256, 512,
 * ..., 2048 bytes with 256-byte granules), then eight per power of two (2304, 2560, ..., 4096,
 * 4608, ..., 16384), so a request wastes at most an eighth of its size. Each class hands out
 * cells of 64 KiB chunks: the most recently freed cell of the most recently freed-into chunk
 * first (LIFO), else the next uncarved cell. A chunk whose cells are all free goes back to the
 * slab's free blocks, except one per class, kept as a spare so that a class whose last cell is
 * freed and taken again each step does not cut and merge a chunk each time.
 */
export class SmallClasses<S> {
  /** Number of classes. */
  readonly count: number;
  /** Chunks that hold cells now, and spares among them. */
  chunkCount = 0;
  spareCount = 0;
  /** Instrumentation: chunk list links and unlinks. */
  listOps = 0;

  private readonly granuleLog: number;
  private readonly octaveBase: number;
  private readonly octaveBaseLog: number;
  private readonly sizes: number[] = [];
  /** Per class: chunks with a free or uncarved cell (most recently freed-into first). */
  private readonly withRoom: (Chunk<S> | null)[] = [];
  private readonly spares: (Chunk<S> | null)[] = [];
  private readonly recycler: BlockRecycler<S>;

  constructor(granule: number, recycler: BlockRecycler<S>) {
    this.granuleLog = 31 - Math.clz32(granule);
    this.octaveBase = kClassesPerOctave * granule;
    this.octaveBaseLog = 31 - Math.clz32(this.octaveBase);
    this.recycler = recycler;
    this.count = this.classIndex(kSmallMaxBytes) + 1;
    for (let i = 0; i < this.count; i++) {
      this.sizes.push(this.sizeOfClass(i));
      this.withRoom.push(null);
      this.spares.push(null);
    }
  }

  /** The class of a request of `n` bytes, 1 <= n <= 16 KiB. */
  classIndex(n: number): number {
    if (n <= this.octaveBase) return (n - 1) >>> this.granuleLog;
    const p = 31 - Math.clz32(n - 1);
    const k = (n - 1 - (1 << p)) >>> (p - 3);
    return kClassesPerOctave + (p - this.octaveBaseLog) * kClassesPerOctave + k;
  }

  /** The cell size of class `index`. */
  classSize(index: number): number {
    return this.sizes[index] as number;
  }

  /** A cell of class `index`, or null when the class has no chunk with room (bring one). */
  take(index: number): ArenaBlock<S> | null {
    let chunk = this.withRoom[index] as Chunk<S> | null;
    if (chunk === null) {
      chunk = this.spares[index] as Chunk<S> | null;
      if (chunk === null) return null;
      this.spares[index] = null;
      this.spareCount--;
      this.link(chunk);
    }
    let cell = chunk.freeHead;
    if (cell !== null) {
      chunk.freeHead = cell.nextFree;
      cell.nextFree = null;
    } else {
      const block = chunk.block;
      cell = this.recycler.make(
        block.slab,
        block.offset + chunk.carved * chunk.cellSize,
        chunk.cellSize,
      );
      cell.fresh = cell.offset >= block.freshFrom;
      cell.chunk = chunk;
      chunk.carved++;
    }
    chunk.live++;
    if (chunk.freeHead === null && chunk.carved === chunk.cellCount) this.unlink(chunk);
    return cell;
  }

  /** Makes `block` (64 KiB, taken from the slab's free blocks) a chunk of class `index`. */
  addChunk(index: number, block: ArenaBlock<S>): void {
    block.state = BlockState.Chunk;
    const cellSize = this.sizes[index] as number;
    const chunk: Chunk<S> = {
      block,
      classIndex: index,
      cellSize,
      cellCount: Math.floor(kChunkBytes / cellSize),
      carved: 0,
      live: 0,
      freeHead: null,
      prev: null,
      next: null,
      listed: false,
    };
    block.chunk = chunk;
    this.chunkCount++;
    this.link(chunk);
  }

  /**
   * Puts a cell back on its chunk's list. Returns the chunk's block when the chunk is now
   * entirely free and not kept as its class's spare: the caller returns it to the slab.
   */
  give(cell: ArenaBlock<S>): ArenaBlock<S> | null {
    const chunk = cell.chunk as Chunk<S>;
    cell.state = BlockState.Free;
    cell.fresh = false;
    cell.nextFree = chunk.freeHead;
    chunk.freeHead = cell;
    chunk.live--;
    if (chunk.live === 0) {
      if (chunk.listed) this.unlink(chunk);
      if (this.spares[chunk.classIndex] === null) {
        this.spares[chunk.classIndex] = chunk;
        this.spareCount++;
        return null;
      }
      return this.retire(chunk);
    }
    if (!chunk.listed) this.link(chunk);
    return null;
  }

  /** Hands the block of every spare chunk to `back` (which returns it to its slab). */
  releaseSpares(back: (block: ArenaBlock<S>) => void): number {
    let released = 0;
    for (let i = 0; i < this.count; i++) {
      const chunk = this.spares[i] as Chunk<S> | null;
      if (chunk === null) continue;
      this.spares[i] = null;
      this.spareCount--;
      released++;
      back(this.retire(chunk));
    }
    return released;
  }

  /** Forgets every chunk (the arena is disposed). */
  clear(): void {
    this.withRoom.fill(null);
    this.spares.fill(null);
    this.chunkCount = 0;
    this.spareCount = 0;
  }

  /**
   * An entirely free chunk leaves its class; its cells are dropped (each was freed, so its
   * generation already moved on) and its block, recycled memory now, goes back to the slab.
   */
  private retire(chunk: Chunk<S>): ArenaBlock<S> {
    this.chunkCount--;
    chunk.freeHead = null;
    // Cells never carved are still fresh.
    const block = chunk.block;
    block.freshFrom = Math.max(block.freshFrom, block.offset + chunk.carved * chunk.cellSize);
    block.chunk = null;
    return block;
  }

  private sizeOfClass(index: number): number {
    if (index < kClassesPerOctave) return (index + 1) << this.granuleLog;
    const q = index - kClassesPerOctave;
    const p = this.octaveBaseLog + Math.floor(q / kClassesPerOctave);
    return 2 ** p + ((q % kClassesPerOctave) + 1) * 2 ** (p - 3);
  }

  private link(chunk: Chunk<S>): void {
    const head = this.withRoom[chunk.classIndex] as Chunk<S> | null;
    chunk.prev = null;
    chunk.next = head;
    if (head !== null) head.prev = chunk;
    this.withRoom[chunk.classIndex] = chunk;
    chunk.listed = true;
    this.listOps++;
  }

  private unlink(chunk: Chunk<S>): void {
    if (chunk.prev !== null) chunk.prev.next = chunk.next;
    else this.withRoom[chunk.classIndex] = chunk.next;
    if (chunk.next !== null) chunk.next.prev = chunk.prev;
    chunk.prev = null;
    chunk.next = null;
    chunk.listed = false;
    this.listOps++;
  }
}
