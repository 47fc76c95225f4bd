import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ArenaBlock, FreedBlockReuse } from "../../src/index.js";
import { type FakeSlab, fakeArena } from "./fake-slabs.js";

// The CLI's recorded traces (mlx-pool-trace/1): a real decode and synthetic ones.
const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../../../cli/fixtures");
const traces = [
  join(fixtures, "decode-mistral-small.json"),
  ...readdirSync(join(fixtures, "synthetic"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => join(fixtures, "synthetic", f)),
];
const kWarmupSteps = 3;

type Op = ["a", number, number] | ["f", number] | ["r"];

describe("SlabArena on recorded traces", () => {
  it.each(
    traces.flatMap((file) =>
      (["merge-first", "exact-first"] as const).map(
        (mode) => [file.split("/").pop() as string, mode, file] as const,
      ),
    ),
  )(
    "%s (%s): held within 1.25x of the live peak, no slab made after warm-up",
    (_, freedBlockReuse, file) => {
      const { steps } = JSON.parse(readFileSync(file, "utf8")) as { steps: Op[][] };
      const f = fakeArena({ freedBlockReuse: freedBlockReuse as FreedBlockReuse });
      const { arena } = f;
      const live = new Map<number, [ArenaBlock<FakeSlab>, number, number]>();
      let liveBytes = 0;
      let peakLive = 0;
      let slabsAtWarm = 0;
      const free = (id: number) => {
        const [block, generation, bytes] = live.get(id) as [ArenaBlock<FakeSlab>, number, number];
        arena.free(block, generation);
        liveBytes -= bytes;
        live.delete(id);
      };
      steps.forEach((step, s) => {
        if (s === kWarmupSteps) slabsAtWarm = arena.stats().slabAllocations;
        for (const op of step) {
          if (op[0] === "a") {
            const block = arena.allocate(op[2]);
            live.set(op[1], [block, block.generation, op[2]]);
            liveBytes += op[2];
            peakLive = Math.max(peakLive, liveBytes);
          } else if (op[0] === "f") {
            free(op[1]);
          } else {
            for (const id of [...live.keys()]) free(id);
          }
        }
      });
      const stats = arena.stats();
      expect(stats.peakRequestedBytes).toBe(peakLive);
      expect(stats.peakHeldBytes / peakLive).toBeLessThanOrEqual(1.25);
      expect(stats.slabAllocations - slabsAtWarm).toBe(0);
      expect(stats.slabCountAtPeakHeld).toBeLessThanOrEqual(8);
      for (const id of [...live.keys()]) free(id);
      arena.clear();
      expect(f.heldByNative()).toBe(0);
    },
  );
});
