import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

/** Runs the README's `js` example that contains `marker` and returns what it printed. */
function runJsExample(marker: string, file: string): string {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].find((m) =>
    m[1]?.includes(marker),
  )?.[1];
  expect(example).toBeDefined();
  // Inside the package folder, so that `@mlx/pool` resolves to this package's build.
  const dir = mkdtempSync(join(packageDir, ".readme-"));
  try {
    writeFileSync(join(dir, file), example as string);
    return execFileSync(process.execPath, [join(dir, file)], { encoding: "utf8" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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

  it("its TypeScript example compiles for Node 20 (ES2022, using lowered) and runs", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("using device");
    const dir = mkdtempSync(join(packageDir, ".readme-"));
    try {
      writeFileSync(join(dir, "example.ts"), example as string);
      const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
      // The options the README names: target ES2022 with lib esnext.disposable.
      execFileSync(process.execPath, [
        tsc,
        "--strict",
        "--target",
        "ES2022",
        "--lib",
        "ES2022,esnext.disposable",
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--types",
        "node",
        "--rootDir",
        dir,
        "--outDir",
        dir,
        join(dir, "example.ts"),
      ]);
      const js = readFileSync(join(dir, "example.js"), "utf8");
      expect(js).not.toMatch(/^\s*using /m);
      const output = execFileSync(process.execPath, [join(dir, "example.js")], {
        encoding: "utf8",
      });
      expect(output).toContain("token 0: active 16384 bytes");
      expect(output).toContain("steps 3, peak 16384 bytes");
      expect(output).toMatch(/mlx memory summary: every pool and device, 1 pool/);
      expect(output).toMatch(/\| cache limit +\| +64\.0 MiB/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("its lease-id example runs and prints what its comments say", () => {
    const output = runJsExample("pool.leaseIds()", "lease-ids.mjs");
    expect(output).toContain("token 0: live=false hits=0");
    // The second token reuses both buffers: the released one and the reset one.
    expect(output).toContain("token 1: live=false hits=2");
    expect(output).toContain("token 2: live=false hits=4");
    expect(output).toContain("STALE_BUFFER");
  });

  it("its arena example runs and prints what its comments say", () => {
    const output = runJsExample('policy: "arena"', "arena.mjs");
    expect(output.trim().split("\n")).toEqual([
      "0 65536 1024 100096",
      "true",
      "true 1",
      "7",
      "fresh-only 1",
    ]);
  });
});
