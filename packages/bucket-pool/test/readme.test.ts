import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

describe("README", () => {
  it("its example runs and prints what its comments say", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1] as string;
    const dir = mkdtempSync(join(packageDir, ".readme-"));
    try {
      const file = join(dir, "example.mjs");
      writeFileSync(file, example);
      const lines = execFileSync(process.execPath, [file], { encoding: "utf8" }).trim().split("\n");
      const promised = [...example.matchAll(/console\.log\(.*\); \/\/ ([^:,\n]*)/g)].map((m) =>
        (m[1] as string).trim(),
      );
      expect(lines).toHaveLength(promised.length);
      expect(lines).toEqual(promised);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
