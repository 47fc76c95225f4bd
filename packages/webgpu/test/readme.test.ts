import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type DawnDevice, openDawnDevice } from "./dawn-device.js";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const dawn: DawnDevice = await openDawnDevice();
if (dawn.device === null) console.warn(`[@mlx/webgpu] README example skipped: ${dawn.reason}`);

describe.skipIf(dawn.device === null)("README", () => {
  it("its example runs on a real device and prints what its comments say", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1] as string;
    const dir = mkdtempSync(join(packageDir, ".readme-"));
    try {
      const file = join(dir, "example.mjs");
      writeFileSync(file, example);
      const lines = execFileSync(process.execPath, [file], { encoding: "utf8" }).trim().split("\n");
      const promised = [...example.matchAll(/console\.log\(.*\); \/\/ ([^:\n]*)/g)].map((m) =>
        (m[1] as string).trim(),
      );
      expect(promised.length).toBe(3);
      expect(lines).toEqual(promised);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
