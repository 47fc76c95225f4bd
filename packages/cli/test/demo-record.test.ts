// `mlx-pool demo --record FILE`: the demo's own pooled loop as a trace that replay accepts and
// plays back to the same counts.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type DemoResult, runDemo } from "../src/commands/demo.js";
import { replayTrace } from "../src/commands/replay.js";
import type { CommandIO } from "../src/io.js";
import { loadTrace } from "../src/trace.js";
import { runCli } from "./cli-process.js";

const quiet: CommandIO = { out: () => {}, err: () => {}, errIsTTY: false };

// Each test spawns the CLI, which can take seconds on a loaded machine.
describe("demo --record", { timeout: 60_000 }, () => {
  it("writes a trace that replay accepts and plays to the demo's counts", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mlx-record-")), "demo.json");
    const { code, stdout, stderr } = runCli([
      "demo",
      "--backend",
      "host",
      "--tokens",
      "12",
      "--record",
      file,
      "--json",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const demo = JSON.parse(stdout) as DemoResult;
    expect(demo.recordedTrace).toBe(file);
    const trace = loadTrace(file); // validated, the published JSON Schema included
    expect(trace.steps).toHaveLength(12);
    for (const step of trace.steps) expect(step.at(-1)).toEqual(["r"]);

    const replayed = runCli(["replay", file, "--backend", "host", "--json"]);
    expect(replayed.stderr).toBe("");
    expect(replayed.code).toBe(0);
    const r = JSON.parse(replayed.stdout);
    expect(r.allocs).toBe(demo.allocations);
    expect(r.resets).toBe(12);
    expect(r.freshAllocations).toBe(demo.freshAllocations);
    expect(r.freshAfterWarmup).toBe(demo.freshAfterWarmup);
    expect(r.hits).toBe(demo.hits);
    expect(r.peakLiveBytes).toBe(demo.peakLiveBytes);
    expect(r.peakHeldBytes).toBe(demo.peakHeldBytes);
  });

  it("in process too, under another preset", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mlx-record-")), "lean.json");
    const demo = runDemo({ backend: "host", tokens: 7, preset: "lean", record: file }, quiet);
    const r = replayTrace(loadTrace(file), { backend: "host", preset: "lean" });
    expect(demo.allocations).toBeGreaterThan(0);
    expect([r.allocs, r.freshAllocations, r.peakHeldBytes, r.peakLiveBytes]).toEqual([
      demo.allocations,
      demo.freshAllocations,
      demo.peakHeldBytes,
      demo.peakLiveBytes,
    ]);
  });

  it("fails before the demo when the folder does not exist", () => {
    const file = join(tmpdir(), "mlx-no-such-folder-here", "t.json");
    const { code, stderr } = runCli(["demo", "--backend", "host", "--record", file]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `mlx-pool demo: --record ${file}: the folder ${join(tmpdir(), "mlx-no-such-folder-here")} does not exist`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it("is refused with --backend webgpu, which has no MlxBufferPool to record", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mlx-record-")), "w.json");
    const { code, stderr } = runCli(["demo", "--backend", "webgpu", "--record", file]);
    expect(code).toBe(2);
    expect(stderr).toContain("--record records the native pool demo");
    expect(existsSync(file)).toBe(false);
  });

  it("the README's record-then-replay commands run as written", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /```sh\n(mlx-pool demo [^\n]*--record[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), "mlx-readme-"));
    const lines = (block as string).trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const args = line.replaceAll("/tmp/", `${dir}/`).split(" ").slice(1);
      const { code, stderr } = runCli(args);
      expect(stderr, line).toBe("");
      expect(code, line).toBe(0);
    }
    expect(readFileSync(join(dir, "demo.svg"), "utf8")).toContain("<svg");
  }, 60_000);

  it("prints where it recorded", () => {
    const file = join(mkdtempSync(join(tmpdir(), "mlx-record-")), "p.json");
    const { code, stdout } = runCli([
      "demo",
      "--backend",
      "host",
      "--tokens",
      "4",
      "--record",
      file,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(`recorded           ${file}`);
    expect(JSON.parse(readFileSync(file, "utf8")).format).toBe("mlx-pool-trace/1");
  });
});
