import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SAMPLE_TRACE_PATH } from "../src/fixtures.js";
import { BIN, runCli } from "./cli-process.js";

// util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasScript)
  console.log("progress.test.ts: TTY tests skipped: `script` (util-linux) is not installed");

/** Carriage return, or the escape sequence that moves the cursor to column 1. */
const REDRAW = new RegExp(`\r|${String.fromCharCode(27)}\\[1G`, "g");

/** Runs `mlx-pool ARGS` on a pseudo-terminal; returns what the terminal showed. */
function onTerminal(args: string, delayMs: number): { status: number | null; screen: string } {
  const result = spawnSync("script", ["-qec", `${process.execPath} ${BIN} ${args}`, "/dev/null"], {
    encoding: "utf8",
    env: { ...process.env, MLX_BACKEND: "host", MLX_POOL_PROGRESS_DELAY_MS: String(delayMs) },
    timeout: 120_000,
  });
  // The bar redraws in place: split its frames so each can be matched on its own.
  return { status: result.status, screen: result.stdout.replace(REDRAW, "\n") };
}

/** The last frame of each labelled bar: label -> "value/total unit". */
function finalFrames(screen: string): Map<string, string> {
  const frames = new Map<string, string>();
  for (const m of screen.matchAll(/^([\w -]+?) [=-]+ (\d+\/\d+ \w+) \| ETA \w+/gm))
    frames.set(m[1] as string, m[2] as string);
  return frames;
}

const sampleOps = (JSON.parse(readFileSync(SAMPLE_TRACE_PATH, "utf8")).steps as unknown[][]).reduce(
  (n, s) => n + s.length,
  0,
);

describe("progress bars on a terminal", () => {
  it.skipIf(!hasScript)(
    "demo counts tokens, once per loop: pooled and direct each end at N/N tokens",
    () => {
      const { status, screen } = onTerminal("demo --backend host --tokens 200", 0);
      expect(status).toBe(0);
      const frames = finalFrames(screen);
      expect(frames.get("pooled")).toBe("200/200 tokens");
      expect(frames.get("direct")).toBe("200/200 tokens");
      expect(screen).toMatch(/200 tokens on host/);
      expect(screen).toMatch(/ETA \d+s/);
    },
    120_000,
  );

  it.skipIf(!hasScript)(
    "replay counts the trace's ops in each pass of each configuration",
    () => {
      const { status, screen } = onTerminal(`replay ${SAMPLE_TRACE_PATH} --preset lean`, 0);
      expect(status).toBe(0);
      const frames = finalFrames(screen);
      expect(frames.get("lean warm-up")).toBe(`${sampleOps}/${sampleOps} ops`);
      expect(frames.get("lean timed")).toBe(`${sampleOps}/${sampleOps} ops`);
    },
    120_000,
  );

  it.skipIf(!hasScript)(
    "bench counts warm-up and timed steps per backend and loop",
    () => {
      const { status, screen } = onTerminal("bench --backend host --repetitions 320", 0);
      expect(status).toBe(0);
      const frames = finalFrames(screen);
      // 320 timed + max(50, 320 >> 4) warm-up; direct: 32 timed + max(5, 2) warm-up.
      expect(frames.get("host pooled")).toBe("370/370 steps");
      expect(frames.get("host direct")).toBe("37/37 steps");
    },
    120_000,
  );

  it.skipIf(!hasScript)(
    "a run shorter than the delay draws no bar",
    () => {
      const { status, screen } = onTerminal("demo --backend host --tokens 3", 60_000);
      expect(status).toBe(0);
      expect(screen).not.toMatch(/tokens \| ETA/);
      expect(screen).toMatch(/3 tokens on host/);
    },
    120_000,
  );
});

describe("progress bars off a terminal", () => {
  it("are not drawn when stderr is not a terminal (CI logs stay clean)", () => {
    const { code, stdout, stderr } = runCli(["demo", "--backend", "host", "--tokens", "50"], {
      MLX_POOL_PROGRESS_DELAY_MS: "0",
    });
    expect(code).toBe(0);
    expect((stdout + stderr).includes("\u001b[")).toBe(false); // no cursor control
    expect(stderr).toBe("");
    expect(stdout).toMatch(/50 tokens on host/);
  }, 60_000);
});
