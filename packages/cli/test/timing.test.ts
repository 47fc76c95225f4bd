// The shared timing module: what every benchmark and command summarises with.
import { describe, expect, it } from "vitest";
import { measureAsync, quantile, tailOf, timeEach } from "../src/timing.js";

describe("tailOf", () => {
  it("reports median, p90, p99 and max by nearest rank", () => {
    const values = Array.from({ length: 101 }, (_, i) => i * 10); // 0, 10, ..., 1000
    expect(tailOf(values)).toEqual({ median: 500, p90: 900, p99: 990, max: 1000, samples: 101 });
  });

  it("shows a slow 2% that the median hides", () => {
    const values = [...Array(98).fill(20), 400, 500];
    const tail = tailOf(values);
    expect(tail.median).toBe(20);
    expect(tail.p99).toBe(400);
    expect(tail.max).toBe(500);
  });
});

describe("timeEach", () => {
  it("runs the warm-up untimed, then times each call alone", () => {
    let calls = 0;
    const times = timeEach(
      () => {
        calls++;
        const until = process.hrtime.bigint() + 200_000n; // 0.2 ms
        while (process.hrtime.bigint() < until) {}
      },
      5,
      3,
    );
    expect(calls).toBe(8);
    expect(times.length).toBe(5);
    for (const t of times) expect(t).toBeGreaterThanOrEqual(200_000);
  });
});

describe("measureAsync", () => {
  it("divides each sample's time by the operations it reports", async () => {
    let samples = 0;
    const m = await measureAsync(
      async () => {
        samples++;
        await new Promise((resolve) => setTimeout(resolve, 2));
        return 4;
      },
      { warmup: 1, samples: 3 },
    );
    expect(samples).toBe(4);
    expect(m.samples).toBe(3);
    // A 2 ms timer per sample over 4 operations; even a timer that fires 1 ms early leaves 0.25 ms each.
    expect(m.min).toBeGreaterThanOrEqual(0.25e6);
    expect(quantile([m.p10, m.median, m.p90], 0.5)).toBe(m.median);
  });
});
