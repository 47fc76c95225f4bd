import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

describe("README", () => {
  it("its example runs against the built package and prints the stats it promises", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // Inside the package folder, so that `@mlx/pool` resolves to this package's build.
    const dir = mkdtempSync(join(packageDir, ".readme-"));
    try {
      const file = join(dir, "example.mjs");
      writeFileSync(file, example as string);
      const output = execFileSync(process.execPath, [file], { encoding: "utf8" });
      expect(output).toContain("token 0: stale=true 0 hits");
      expect(output).toContain("token 2: stale=true 4 hits");
      expect(output).toMatch(/misses: 2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("its arena example runs and prints what its comments say", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].find((m) =>
      m[1]?.includes('policy: "arena"'),
    )?.[1];
    expect(example).toBeDefined();
    const dir = mkdtempSync(join(packageDir, ".readme-"));
    try {
      const file = join(dir, "arena.mjs");
      writeFileSync(file, example as string);
      const output = execFileSync(process.execPath, [file], { encoding: "utf8" });
      expect(output.trim().split("\n")).toEqual([
        "0 65536 1024 100096",
        "true",
        "true 1",
        "7",
        "fresh-only 1",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
