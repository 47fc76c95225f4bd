import { type PoolOptions, pow2Divisions } from "@mlx/pool";
import { UsageError } from "./io.js";

/** Pool configurations `replay --preset` and `demo` know by name. */
export const PRESET_NAMES = ["seed", "lean", "divisions"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** What each preset does, in a few words (help text, chart legends). */
export const PRESET_DESCRIPTIONS: Record<PresetName, string> = {
  seed: "power-of-two classes, exact-class reuse, no cache limit",
  lean: "sub-allocation: buffers packed into a few large slabs (fine classes, TLSF with merging)",
  divisions:
    "quarter-power-of-two classes above 1 MiB, best-fit reuse, cache capped at 1.2x the live peak",
};

/**
 * - `seed`: power-of-two size classes (the next power of two), exact-class LIFO reuse, no limit.
 * - `lean`: memory first, by sub-allocation (`policy: "arena"`): requests up to 16 KiB take a cell
 *   of a fine size class, larger ones a block of a two-level segregated fit that merges free
 *   neighbours, all cut from a few large native allocations (slabs); a buffer's `byteOffset` is
 *   its place in its slab.
 * - `divisions`: memory first with one native allocation per buffer. Classes above 1 MiB split each power-of-two interval in 4 steps
 *   (at most 25% rounding instead of up to 100%); smaller ones stay powers of two, whose slack
 *   absorbs buffers that grow a little every token (KV caches). A miss takes the smallest free
 *   buffer up to 2x its class (best fit), so buffers freed by one phase (prefill) serve the
 *   next (decode); and cached buffers are freed, oldest first, before a fresh allocation would
 *   push held bytes past 1.2x the live peak (`maxHeldRatio`). Tuned with scripts/tune-lean.mjs.
 */
export function presetOptions(name: string): PoolOptions {
  switch (name) {
    case "seed":
      return { policy: "pow2" };
    case "lean":
      return { policy: "arena" };
    case "divisions":
      return { policy: pow2Divisions(4, 1 << 20), reuseLargerRatio: 2, maxHeldRatio: 1.2 };
    default:
      throw new UsageError(
        `unknown preset ${JSON.stringify(name)}; known: ${PRESET_NAMES.join(", ")}`,
      );
  }
}
