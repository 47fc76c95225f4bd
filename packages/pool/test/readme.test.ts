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
});
