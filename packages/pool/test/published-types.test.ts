// The published .d.ts: @internal members stripped (tsc stripInternal), and what remains
// compiles for a consumer that checks declaration files (skipLibCheck off).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const declarations = readdirSync(dist).filter((f) => f.endsWith(".d.ts"));

describe("published declarations", () => {
  it("carry no @internal member", () => {
    expect(declarations).toContain("index.d.ts");
    for (const file of declarations) {
      const text = readFileSync(dist + file, "utf8");
      expect(text, file).not.toContain("@internal");
    }
    const buffer = readFileSync(`${dist}buffer.d.ts`, "utf8");
    for (const name of ["slot", "owner", "generation", "disposeBuffer"]) {
      expect(buffer).not.toMatch(new RegExp(`\\b${name}\\b[?:(]`));
    }
    const device = readFileSync(`${dist}device.d.ts`, "utf8");
    for (const name of ["memory", "native", "checkUsable", "checkLength", "disposeBuffer"]) {
      expect(device).not.toMatch(new RegExp(`readonly ${name}:|\\b${name}\\(`));
    }
    expect(device).toContain("allocBuffer<D extends DType>");
  });

  it("document every field of stats() and memoryStats()", () => {
    const bucketStats = fileURLToPath(
      new URL("../node_modules/@mlx/bucket-pool/dist/stats.d.ts", import.meta.url),
    );
    const files = [bucketStats, `${dist}stats.d.ts`, `${dist}memory-stats.d.ts`];
    let fields = 0;
    for (const file of files) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (!/^\s+\w+: number|^\s+\w+: string/.test(line)) return;
        fields++;
        expect(lines[i - 1]?.trim(), `${file}: ${line.trim()}`).toMatch(/\*\/$/);
      });
    }
    expect(fields).toBeGreaterThan(30);
  });

  it("compile for a consumer with skipLibCheck off", () => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const consumer = fileURLToPath(new URL("./fixtures/consumer.ts", import.meta.url));
    const result = spawnSync(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "false",
        "--target",
        "ES2022",
        "--lib",
        "ES2022,ESNext.Disposable",
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--types",
        "node",
        consumer,
      ],
      { encoding: "utf8" },
    );
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 120_000);
});
