import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SAMPLE_TRACE_PATH } from "../src/fixtures.js";
import { runCli } from "./cli-process.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-cli-usage-"));
const version = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
const lines = (text: string) => text.split("\n").filter((l) => l !== "");

describe("mlx-pool --version", () => {
  it.each([["--version"], ["-V"]])("%s prints the package version and exits 0", (flag) => {
    const { code, stdout } = runCli([flag]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });
});

describe("usage errors", () => {
  it.each([
    [["demo", "--tokens", "x"], /^error: option '--tokens <n>' argument 'x' is invalid/, "demo"],
    [["demo", "--bogus"], /^error: unknown option '--bogus'$/, "demo"],
    [
      ["replay", SAMPLE_TRACE_PATH, "--preset", "fast"],
      /^error: option '--preset <name>' argument 'fast' is invalid/,
      "replay",
    ],
    [
      ["bench", "--repetitions", "3"],
      /^error: option '--repetitions <n>' argument '3' is invalid/,
      "bench",
    ],
    [["replay"], /^error: missing required argument 'file'$/, "replay"],
  ])("%j is one line and a hint, not the whole help", (args, first, command) => {
    const { code, stdout, stderr } = runCli(args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(lines(stderr)).toEqual([
      expect.stringMatching(first),
      `(mlx-pool ${command} --help lists its options)`,
    ]);
    expect(stderr).not.toMatch(/Usage:|Options:/);
  });

  it("an unknown command names the top-level help", () => {
    const { code, stderr } = runCli(["bogus"]);
    expect(code).toBe(2);
    expect(lines(stderr)).toEqual([
      "error: unknown command 'bogus'",
      "(mlx-pool --help lists the commands)",
    ]);
  });

  it("the preset help says what each preset does", () => {
    const { stdout } = runCli(["replay", "--help"]);
    expect(stdout.replace(/\s+/g, " ")).toContain(
      "seed (power-of-two classes, exact-class reuse, no cache limit)",
    );
  });
});

describe("replay --chart to a folder that does not exist", () => {
  it("fails before the replay: no report, no trace read", () => {
    const chart = join(dir, "missing", "chart.svg");
    const { code, stdout, stderr } = runCli(["replay", SAMPLE_TRACE_PATH, "--chart", chart]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(lines(stderr)).toEqual([
      `mlx-pool replay: --chart ${chart}: the folder ${join(dir, "missing")} does not exist`,
    ]);
    // The check comes before the trace is even read: a missing trace is not what it reports.
    const both = runCli(["replay", join(dir, "no-such-trace.json"), "--chart", chart]);
    expect(both.stderr).toMatch(/the folder .* does not exist/);
    expect(existsSync(chart)).toBe(false);
  });

  it("names a path whose folder is a file", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const { code, stderr } = runCli(["replay", SAMPLE_TRACE_PATH, "--chart", join(file, "c.svg")]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `mlx-pool replay: --chart ${join(file, "c.svg")}: ${file} is not a folder`,
    );
  });
});

describe("an empty trace", () => {
  it.each([
    ["no steps", []],
    ["empty steps", [[], []]],
    ["resets only", [[["r"]], [["r"]]]],
  ])("(%s) says it allocates nothing instead of printing zeros", (_name, steps) => {
    const file = join(dir, `empty-${steps.length}-${JSON.stringify(steps).length}.json`);
    writeFileSync(file, JSON.stringify({ format: "mlx-pool-trace/1", steps }));
    const ops = (steps as unknown[][]).reduce((n, s) => n + s.length, 0);
    for (const extra of [[], ["--json"]]) {
      const { code, stdout, stderr } = runCli(["replay", file, ...extra]);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.trim()).toBe(
        `mlx-pool replay: ${file} allocates nothing (${steps.length} steps, ${ops} ops): nothing to replay`,
      );
      expect(stderr).not.toContain("0.000");
    }
  });
});

describe("words users know", () => {
  it("replay names held and live as PyTorch and MLX do, and explains the ratio", () => {
    const { code, stdout } = runCli(["replay", SAMPLE_TRACE_PATH]);
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^peak live [\d.]+ MiB \(PyTorch: allocated, MLX: active\), peak held [\d.]+ MiB \(PyTorch: reserved, MLX: active \+ cache\) in \d+ native allocations$/m,
    );
    expect(stdout).toMatch(/^footprint ratio 1\.\d{3} \(peak held \/ peak live; /m);
  });

  it("demo prints the device once and the residency commits only where there is residency", () => {
    const on = runCli(["demo", "--backend", "host", "--tokens", "5"]);
    expect(on.code).toBe(0);
    const first = lines(on.stdout)[0] as string;
    expect(first).toMatch(/^mlx-pool demo: 5 tokens on host \(CPU memory, [^()]*\), preset seed$/);
    expect(on.stdout).toMatch(/PyTorch: reserved \/ allocated, MLX: cache \+ active \/ active/);
    expect(on.stdout).toMatch(/residency commits\s+\d+/);
    const off = runCli(["demo", "--backend", "host", "--tokens", "5"], { MLX_NO_RESIDENCY: "1" });
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^mlx-pool demo: 5 tokens on host/);
    expect(off.stdout).not.toMatch(/residency/);
  });

  it("info names the device once", () => {
    const { stdout } = runCli(["info", "--backend", "host"]);
    expect(stdout).toMatch(/^device: host \(CPU memory[^()]*\)$/m);
  });
});
