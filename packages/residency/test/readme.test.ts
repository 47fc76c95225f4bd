import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import * as residency from "../src/index.js";

describe("README", () => {
  it("runs the example and prints what it says", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    // Swap the package import for the sources under test.
    const body = (block as string).replace(
      /import \{([^}]*)\} from "@mlx\/residency";/,
      "const {$1} = lib;",
    );
    expect(body).not.toContain("import ");
    const logs: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      logs.push(args.join(" "));
    });
    try {
      new Function("lib", body)(residency);
    } finally {
      log.mockRestore();
    }
    expect(logs).toEqual([
      "duplicate 4096",
      "4 2 4",
      "INVALID_ARGUMENT ResidencyBinding: cannot mix devices with different residency sets (first: gpu0, now: gpu1)",
      "5 true",
    ]);
  });
});
