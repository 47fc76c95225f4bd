// Builds the example's addon with cmake-js and runs the decode loop: on a Mac against Metal, on
// Linux against the fake Metal runtime (scripts/metal-fake/run.sh sets MLX_BACKEND=metal,
// MLX_METAL_FAKE=1 and MLX_NATIVE_ADDON to the fake build), where the call log shows what reached
// Metal. Elsewhere it skips, saying why.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendStatus, MlxDevice } from "@mlx/pool";
import { beforeAll, describe, expect, it } from "vitest";
import { fakeMetal } from "../../../packages/metal-native/test/fake-metal/report.js";
import { runDecodeLoop } from "../src/decode-loop.js";
import { addonPath, loadMetalKernelAddon, SAXPY_SOURCE_URL } from "../src/load-addon.js";

const metal = backendStatus().find((status) => status.name === "metal");
const underFake = process.env.MLX_METAL_FAKE === "1" && fakeMetal !== null;
let skipReason: string | null = null;
if (process.env.MLX_BACKEND !== "metal") skipReason = "MLX_BACKEND is not metal";
else if (!metal?.available) skipReason = `metal is unavailable: ${metal?.reason ?? "not built"}`;
else if (process.platform !== "darwin" && !underFake)
  skipReason = "not macOS and not the fake Metal build (scripts/metal-fake/run.sh)";
if (skipReason !== null) console.log(`metal-kernel.test.ts skipped: ${skipReason}`);

const root = fileURLToPath(new URL("..", import.meta.url));
const buildDir = underFake ? "build-fake" : "build";

function buildAddon(): void {
  const cmakeJs = join(root, "node_modules/.bin/cmake-js");
  const configure = ["configure", "--out", buildDir];
  if (underFake) {
    const fakeBuild = dirname(dirname(process.env.MLX_NATIVE_ADDON as string));
    configure.push(
      "--cc",
      "clang-19",
      "--cxx",
      "clang++-19",
      "--CDMLX_METAL_FAKE=ON",
      `--CDMLX_FAKE_METAL_BUILD=${fakeBuild}`,
    );
  }
  execFileSync(cmakeJs, configure, { cwd: root, stdio: "pipe" });
  execFileSync(cmakeJs, ["build", "--out", buildDir], { cwd: root, stdio: "pipe" });
}

const hex = (handle: bigint) => `0x${handle.toString(16)}`;

describe.skipIf(skipReason !== null)("examples/metal-kernel", () => {
  beforeAll(buildAddon);

  it("runs SAXPY on pooled buffers on its own queue, checked on the CPU, reset behind that queue's fence", async () => {
    const device = MlxDevice.open({ backend: "metal" });
    const { SaxpyKernel } = loadMetalKernelAddon(addonPath(buildDir));
    const kernel = new SaxpyKernel(
      device.nativeHandles.device,
      readFileSync(SAXPY_SOURCE_URL, "utf8"),
    );
    try {
      fakeMetal?.fakeMetalCallLog(true);
      const tokens = 6;
      const n = 1000;
      const result = await runDecodeLoop(device, kernel, { tokens, n, a: 2.5 });
      expect(result.checked).toBe(tokens * n);
      expect(result.mismatches).toBe(0);
      // Two buffers per token. A fenced reset recycles once its fence's callback ran, which is
      // after the next token's allocations: tokens 0 and 1 allocate, every later token hits.
      expect(result.freshAllocations).toBe(4);
      expect(new Set(result.bound.flatMap(([x, , y]) => [x, y])).size).toBe(4);
      if (!underFake || fakeMetal === null) return;

      const log = fakeMetal.fakeMetalCallLog();
      const queue = hex(kernel.queue);
      const attached = log.indexOf(`FakeMTLCommandQueue addResidencySet: queue=${queue}`);
      const firstBind = log.findIndex((line) =>
        line.startsWith("FakeMTLComputeCommandEncoder setBuffer:"),
      );
      expect(attached).toBeGreaterThanOrEqual(0);
      expect(attached).toBeLessThan(firstBind);
      // Each token: the pipeline, x at slot 0 and y at slot 1 by their handles and offsets.
      const binds = log.filter((line) =>
        line.startsWith("FakeMTLComputeCommandEncoder setBuffer:"),
      );
      expect(binds).toEqual(
        result.bound.flatMap(([x, xOffset, y, yOffset]) => [
          `FakeMTLComputeCommandEncoder setBuffer:offset:atIndex: ${hex(x)} ${xOffset} 0`,
          `FakeMTLComputeCommandEncoder setBuffer:offset:atIndex: ${hex(y)} ${yOffset} 1`,
        ]),
      );
      expect(
        log.filter((line) => line === "FakeMTLComputeCommandEncoder setComputePipelineState:"),
      ).toHaveLength(tokens);
      // Kernel and fence command buffers, both on the user's queue; none on the device's own.
      expect(
        log.filter((line) => line === `FakeMTLCommandQueue commandBuffer queue=${queue}`),
      ).toHaveLength(2 * tokens);
      expect(
        log.filter(
          (line) =>
            line === `FakeMTLCommandQueue commandBuffer queue=${hex(device.nativeHandles.queue)}`,
        ),
      ).toHaveLength(0);
      expect(log).toContain(`FakeMTLCommandQueue removeResidencySet: queue=${queue}`);
      expect(fakeMetal.fakeMetalQueueResidencySets(kernel.queue)).toBe(0);
    } finally {
      kernel.dispose();
      device.dispose();
    }
  });
});
