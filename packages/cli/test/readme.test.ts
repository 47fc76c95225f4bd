import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));

describe("README", () => {
  it("runs the library example (against the built package) and prints what it says", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## As a library"));
    const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
    const printed = /It prints:\n\n```console\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain('from "@mlx/cli"');
    // Run from the package folder, so that "@mlx/cli" resolves to this package (self-reference).
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", code as string], {
      cwd: PACKAGE_DIR,
      encoding: "utf8",
      env: { ...process.env, MLX_BACKEND: "host" },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(printed);
  }, 60_000);
});
