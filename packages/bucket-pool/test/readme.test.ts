import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

describe("README", () => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string);

  it("has an example for the pool and one for the arena", () => {
    expect(examples).toHaveLength(2);
    expect(examples[1]).toContain("new SlabArena(");
  });

  it.each(examples.map((example, i) => [i + 1, example]))(
    "example %i runs and prints what its comments say",
    (_, example) => {
      const dir = mkdtempSync(join(packageDir, ".readme-"));
      try {
        const file = join(dir, "example.mjs");
        writeFileSync(file, example as string);
        const lines = execFileSync(process.execPath, [file], { encoding: "utf8" })
          .trim()
          .split("\n");
        const promised = [
          ...(example as string).matchAll(/console\.log\(.*\); \/\/ ([^:,\n]*)/g),
        ].map((m) => (m[1] as string).trim());
        expect(promised.length).toBeGreaterThan(0);
        expect(lines).toEqual(promised);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
