// The request sizes the hot-path benchmarks replay, from the real decode capture
// (packages/cli/fixtures/decode-mistral-small.json, PyTorch's caching allocator on an H100).
import { readFileSync } from "node:fs";

// BENCH_TRACE names the file where this module is bundled away from the checkout (GPU machine).
const trace = JSON.parse(
  readFileSync(
    process.env.BENCH_TRACE ??
      new URL("../packages/cli/fixtures/decode-mistral-small.json", import.meta.url),
    "utf8",
  ),
);

/** The allocation sizes of one real decode step (step 5: 275 allocations). */
export function decodeSizes() {
  return trace.steps[5].filter((op) => op[0] === "a").map((op) => op[2]);
}

/**
 * A token of `count` allocations (a deeper model's step, ~700 for a llama-sized one): the real
 * decode steps' sizes, in order, steps 5, 6, 7 ... until `count` are taken.
 */
export function tokenSizes(count) {
  const sizes = [];
  for (let s = 5; sizes.length < count; s = s + 1 < trace.steps.length ? s + 1 : 1) {
    for (const op of trace.steps[s]) {
      if (op[0] === "a" && sizes.length < count) sizes.push(op[2]);
    }
  }
  return sizes;
}
