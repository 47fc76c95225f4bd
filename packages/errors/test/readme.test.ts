import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import * as errors from "../src/index.js";

describe("README", () => {
  it("runs the example and prints what it says", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const block = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const body = (block as string).replace(
      /import \{([^}]*)\} from "@mlx\/errors";/,
      "const {$1} = lib;",
    );
    expect(body).not.toContain("import ");
    const logs: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      logs.push(args.join(" "));
    });
    try {
      new Function("lib", body)(errors);
    } finally {
      log.mockRestore();
    }
    expect(logs).toEqual([
      "INVALID_ARGUMENT -1 alloc: byteLength must be positive, got -1",
      "true",
    ]);
  });
});
