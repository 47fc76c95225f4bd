import { describe, expect, it } from "vitest";
import {
  type ArenaBlock,
  BlockRecycler,
  BlockState,
  kChunkBytes,
  kSmallMaxBytes,
  Slab,
  SmallClasses,
} from "../../src/index.js";

function classes(granule = 256) {
  const recycler = new BlockRecycler<string>();
  const small = new SmallClasses<string>(granule, recycler);
  const slab = new Slab("slab", 1 << 20, 0, {});
  let next = 0;
  const chunkBlock = (): ArenaBlock<string> => {
    const block = recycler.make(slab, next, kChunkBytes);
    next += kChunkBytes;
    return block;
  };
  return { small, chunkBlock };
}

describe("SmallClasses size classes", () => {
  it("steps by 256 bytes up to 2 KiB, then eight classes per power of two, 32 in all", () => {
    const { small } = classes();
    const sizes = Array.from({ length: small.count }, (_, i) => small.classSize(i));
    expect(sizes.slice(0, 9)).toEqual([256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2304]);
    expect(sizes.slice(15, 17)).toEqual([4096, 4608]);
    expect(sizes.at(-1)).toBe(kSmallMaxBytes);
    expect(small.count).toBe(32);
    for (let p = 11; p < 14; p++) {
      expect(sizes.filter((s) => s > 2 ** p && s <= 2 ** (p + 1))).toHaveLength(8);
    }
  });

  it("maps every request to the smallest class that holds it", () => {
    const { small } = classes();
    const sizes = Array.from({ length: small.count }, (_, i) => small.classSize(i));
    const wrong: number[] = [];
    for (let n = 1; n <= kSmallMaxBytes; n++) {
      const i = small.classIndex(n);
      const size = sizes[i] as number;
      const smallest = size >= n && (i === 0 || (sizes[i - 1] as number) < n);
      // Less than a granule of waste up to 2 KiB, at most an eighth above.
      if (!smallest || size - n >= Math.max(256, n / 8)) wrong.push(n);
    }
    expect(wrong).toEqual([]);
  });

  it("uses the granule as the step when the alignment is larger than 256", () => {
    const { small } = classes(4096);
    expect(Array.from({ length: small.count }, (_, i) => small.classSize(i))).toEqual([
      4096, 8192, 12288, 16384,
    ]);
    expect(small.classIndex(1)).toBe(0);
    expect(small.classIndex(4097)).toBe(1);
    expect(small.classIndex(kSmallMaxBytes)).toBe(3);
  });
});

describe("SmallClasses cells", () => {
  it("needs a chunk first, carves cells in order, and reuses the last freed cell first", () => {
    const { small, chunkBlock } = classes();
    const i = small.classIndex(1000);
    expect(small.take(i)).toBeNull();
    small.addChunk(i, chunkBlock());
    const a = small.take(i) as ArenaBlock<string>;
    const b = small.take(i) as ArenaBlock<string>;
    const c = small.take(i) as ArenaBlock<string>;
    expect([a.offset, b.offset, c.offset]).toEqual([0, 1024, 2048]);
    expect([a.size, a.fresh]).toEqual([1024, true]);
    small.give(a);
    small.give(c);
    expect(small.take(i)).toBe(c);
    const again = small.take(i) as ArenaBlock<string>;
    expect(again).toBe(a);
    expect(again.fresh).toBe(false);
    expect(small.listOps).toBeGreaterThan(0);
  });

  it("keeps one entirely free chunk per class as a spare and hands back the next one", () => {
    const { small, chunkBlock } = classes();
    const i = small.classIndex(16_000); // 16 KiB cells: four per chunk
    const first = chunkBlock();
    small.addChunk(i, first);
    const cells = [0, 1, 2, 3].map(() => small.take(i) as ArenaBlock<string>);
    expect(small.take(i)).toBeNull(); // the chunk is full and off the list
    const second = chunkBlock();
    small.addChunk(i, second);
    const fifth = small.take(i) as ArenaBlock<string>;
    expect(fifth.offset).toBe(kChunkBytes);
    for (const cell of cells) expect(small.give(cell)).toBeNull();
    expect(small.spareCount).toBe(1);
    expect(first.state).toBe(BlockState.Chunk);
    // The second chunk empties too: the spare place is taken, so its block comes back.
    expect(small.give(fifth)).toBe(second);
    expect(second.chunk).toBeNull();
    // One 16 KiB cell was carved: the rest of the chunk was never handed out.
    expect(second.freshFrom).toBe(second.offset + 16_384);
    expect(small.chunkCount).toBe(1);
    // The spare serves the next request of its class.
    expect(small.take(i)?.offset).toBeLessThan(kChunkBytes);
    expect(small.spareCount).toBe(0);
  });

  it("releaseSpares hands every spare chunk's block back", () => {
    const { small, chunkBlock } = classes();
    const blocks: ArenaBlock<string>[] = [];
    for (const n of [300, 5000, 12_000]) {
      const i = small.classIndex(n);
      const block = chunkBlock();
      small.addChunk(i, block);
      small.give(small.take(i) as ArenaBlock<string>);
      blocks.push(block);
    }
    const back: ArenaBlock<string>[] = [];
    expect(small.releaseSpares((b) => back.push(b))).toBe(3);
    expect(back.sort((x, y) => x.offset - y.offset)).toEqual(blocks);
    expect([small.spareCount, small.chunkCount]).toEqual([0, 0]);
  });
});
