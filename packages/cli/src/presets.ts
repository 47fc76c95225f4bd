import { type PoolOptions, pow2Divisions } from "@mlx/pool";
import { UsageError } from "./io.js";

/** Pool configurations `replay --preset` and `demo` know by name. */
export const PRESET_NAMES = ["seed", "lean"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * - `seed`: the Rust seed's policy exactly: next power of two, exact-class LIFO reuse, no limit.
 * - `lean`: memory first. Classes above 256 KiB split each power-of-two interval in 8 steps
 *   (at most 12.5% rounding instead of up to 100%); a miss may take a free buffer up to 1.5x
 *   its class (best fit), so buffers freed by one phase serve the next; and cached buffers are
 *   freed, oldest first, before a fresh allocation would push held bytes past 1.2x the live peak.
 */
export function presetOptions(name: string): PoolOptions {
  switch (name) {
    case "seed":
      return { policy: "pow2" };
    case "lean":
      return { policy: pow2Divisions(8, 256 * 1024), reuseLargerRatio: 1.5, maxHeldRatio: 1.2 };
    default:
      throw new UsageError(
        `unknown preset ${JSON.stringify(name)}; known: ${PRESET_NAMES.join(", ")}`,
      );
  }
}
