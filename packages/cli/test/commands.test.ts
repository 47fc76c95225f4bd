import { describe, expect, it } from "vitest";
import { runBench, sampleStepSizes } from "../src/commands/bench.js";
import { runDemo, stepForToken } from "../src/commands/demo.js";
import { collectInfo, formatInfo } from "../src/commands/info.js";
import type { CommandIO } from "../src/io.js";
import type { Trace } from "../src/trace.js";
import { runCli } from "./cli-process.js";

const quietIO: CommandIO = { out: () => {}, err: () => {}, errIsTTY: false };

describe("demo", () => {
  it("runs the sample decode on the host backend and prints the report", () => {
    const { code, stdout, stderr } = runCli(["demo", "--backend", "host", "--tokens", "20"]);
    expect(code).toBe(0);
    expect(stderr).toBe(""); // no progress bar without a TTY
    expect(stdout).toMatch(/^mlx-pool demo: 20 tokens on host/);
    expect(stdout).toMatch(/allocations\s+\d+ \(275 per token\)/);
    expect(stdout).toMatch(/hit rate\s+\d+\.\d% \(\d+ fresh, 0 after warm-up\)/);
    expect(stdout).toMatch(/peak held \/ live\s+[\d.]+ MiB \/ [\d.]+ MiB/);
    expect(stdout).toMatch(/residency commits\s+\d+/);
    expect(stdout).toMatch(/pooled is [\d.]+x faster/);
  });

  it("counts what the loop did: one reset per token, the prefill's misses, none after warm-up", () => {
    const result = runDemo({ backend: "host", tokens: 30 }, quietIO);
    expect(result.tokens).toBe(30);
    expect(result.backend).toBe("host");
    expect(result.allocations).toBe(result.hits + result.freshAllocations);
    expect(result.freshAfterWarmup).toBe(0);
    expect(result.hitRate).toBeGreaterThan(0.9);
    expect(result.peakHeldBytes).toBeGreaterThanOrEqual(result.peakLiveBytes);
    expect(result.residencyCommits).toBeGreaterThan(0);
  });

  it("token 0 is the prefill, later tokens cycle through the decode steps", () => {
    const trace: Trace = {
      format: "mlx-pool-trace/1",
      steps: [[["a", 0, 1]], [["a", 1, 2]], [["a", 2, 3]]],
    };
    const sizes = [0, 1, 2, 3, 4].map((t) => stepForToken(trace, t)[0]?.[2]);
    expect(sizes).toEqual([1, 2, 3, 2, 3]);
  });

  it("rejects a bad token count with an error naming the option", () => {
    const { code, stderr } = runCli(["demo", "--tokens", "0"]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/tokens/);
  });
});

describe("info", () => {
  it("lists every backend and the host device", () => {
    const { code, stdout } = runCli(["info", "--backend", "host"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\s+host\s+available$/m);
    expect(stdout).toMatch(/^\s+metal\s+(not built|built, not usable here|available)/m);
    expect(stdout).toMatch(/^device: host \(.+\)$/m);
    expect(stdout).toMatch(/unified memory\s+(yes|no)/);
    expect(stdout).toMatch(/max buffer length\s+[\d.]+ \w+ \(\d+ bytes\)/);
    expect(stdout).toMatch(/residency sets\s+(on|off: .+)/);
  });

  it("says why residency is off when it is", () => {
    const { stdout } = runCli(["info", "--backend", "host", "--json"]);
    const info = JSON.parse(stdout);
    expect(info.device.backend).toBe("host");
    const lines = formatInfo({
      ...info,
      device: {
        ...info.device,
        residencySetsEnabled: false,
        residencyDisabledReason: "turned off by MLX_NO_RESIDENCY",
      },
    });
    expect(lines).toContain("  residency sets      off: turned off by MLX_NO_RESIDENCY");
  });

  it("collectInfo reports the host backend as built and available", () => {
    const info = collectInfo("host");
    expect(info.backends.find((b) => b.name === "host")).toMatchObject({
      built: true,
      available: true,
    });
    expect(info.device?.maxBufferLength).toBeGreaterThan(0);
  });
});

describe("bench", () => {
  it("measures the sample step on the host with median and spread", () => {
    const sizes = sampleStepSizes();
    expect(sizes.length).toBe(275);
    const [host] = runBench({ backends: ["host"], repetitions: 20 });
    expect(host?.backend).toBe("host");
    expect(host?.allocsPerStep).toBe(275);
    for (const spread of [host?.pooled, host?.direct]) {
      expect(spread?.p10).toBeLessThanOrEqual(spread?.median ?? Number.NaN);
      expect(spread?.median).toBeLessThanOrEqual(spread?.p90 ?? Number.NaN);
    }
    expect(host?.ratio).toBeCloseTo((host?.direct.median ?? 0) / (host?.pooled.median ?? 1));
  });
});
