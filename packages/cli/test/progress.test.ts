import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli-process.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
// util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;
if (!hasScript)
  console.log("progress.test.ts: TTY test skipped: `script` (util-linux) is not installed");

describe("demo progress bar", () => {
  it.skipIf(!hasScript)("is drawn on a terminal for long runs, and completes", () => {
    const result = spawnSync(
      "script",
      ["-qec", `${process.execPath} ${BIN} demo --backend host --tokens 600`, "/dev/null"],
      { encoding: "utf8", env: { ...process.env, MLX_BACKEND: "host" }, timeout: 60_000 },
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/decode =+ 1200\/1200 tokens/);
    expect(result.stdout).toMatch(/600 tokens on host/);
  });

  it("is not drawn when output is not a terminal (CI logs stay clean)", () => {
    const { code, stdout, stderr } = runCli(["demo", "--backend", "host", "--tokens", "600"]);
    expect(code).toBe(0);
    expect((stdout + stderr).includes("\u001b[")).toBe(false); // no cursor control
    expect(stdout + stderr).not.toMatch(/decode =+/);
    expect(stdout).toMatch(/600 tokens on host/);
  });
});
