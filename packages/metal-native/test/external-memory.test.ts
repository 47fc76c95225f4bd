import { constants, PerformanceObserver } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { openDevice } from "../src/index.js";

// Buffer memory is freed by explicit calls, so it is not reported to V8: large allocations
// must not make V8 force full (mark-compact) collections. When it was reported, V8 ran about
// one full GC per 12 allocations of 64 MiB (13 per 154 in bench/large-miss.mjs). The rest of
// the process may still need an occasional full GC of its own, so a couple are tolerated.
describe("external memory", () => {
  it("allocating and destroying 64 MiB buffers forces no full GCs", async () => {
    const device = openDevice("host");
    let major = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as { detail?: { kind?: number } }).detail;
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
      }
    });
    observer.observe({ entryTypes: ["gc"] });
    for (let i = 0; i < 256; i++) device.allocBuffer(64 * 2 ** 20).destroy();
    // GC entries are delivered asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 50));
    observer.disconnect();
    device.destroy();
    expect(major).toBeLessThanOrEqual(2);
  });
});
