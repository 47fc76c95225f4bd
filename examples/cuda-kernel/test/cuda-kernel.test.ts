// Builds the example's addon with cmake-js wherever the CUDA toolkit is (this machine has it,
// without a GPU), and runs the decode loop where a CUDA GPU is (the GPU machine: scripts/gpu/).
// Each part that cannot run here skips, saying why.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendStatus, MlxDevice } from "@mlx/pool";
import { describe, expect, it } from "vitest";
import { runDecodeLoop } from "../src/decode-loop.js";
import { ADDON_PATH, loadCudaKernelAddon } from "../src/load-addon.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const nvcc = process.env.CUDACXX ?? "/usr/local/cuda/bin/nvcc";
const hasToolkit = spawnSync(nvcc, ["--version"], { stdio: "ignore" }).status === 0;
const prebuilt = process.env.MLX_EXAMPLE_PREBUILT === "1" && existsSync(ADDON_PATH);
const buildSkip = prebuilt || hasToolkit ? null : `no CUDA toolkit (${nvcc} does not run)`;
const cuda = backendStatus().find((status) => status.name === "cuda");
const runSkip = cuda?.available
  ? null
  : `the cuda backend is unavailable: ${cuda?.reason ?? "not built"}`;
if (buildSkip !== null) console.log(`cuda-kernel.test.ts: build skipped: ${buildSkip}`);
if (runSkip !== null) console.log(`cuda-kernel.test.ts: GPU run skipped: ${runSkip}`);

describe("examples/cuda-kernel", () => {
  it.skipIf(buildSkip !== null || prebuilt)("builds with cmake-js against interop.h", () => {
    const cmakeJs = join(root, "node_modules/.bin/cmake-js");
    execFileSync(cmakeJs, ["configure"], { cwd: root, stdio: "pipe" });
    execFileSync(cmakeJs, ["build"], { cwd: root, stdio: "pipe" });
    expect(existsSync(ADDON_PATH)).toBe(true);
    // Loads without a GPU (static runtime) and says how many devices it sees.
    expect(loadCudaKernelAddon().deviceCount()).toBeGreaterThanOrEqual(0);
  });

  it.skipIf(runSkip !== null || (buildSkip !== null && !prebuilt))(
    "a slow kernel on the user's stream: fenced resets never recycle a buffer early, every output checked",
    async () => {
      const device = MlxDevice.open({ backend: "cuda" });
      const kernels = loadCudaKernelAddon();
      const stream = kernels.createStream(device.nativeHandles.device);
      try {
        const tokens = 24;
        const n = 1 << 14;
        const result = await runDecodeLoop(device, kernels, stream, {
          tokens,
          n,
          a: 2.5,
          spinMicros: 20_000,
          syncEvery: 4,
        });
        console.log(`cuda-kernel.test.ts: ${JSON.stringify(result)}`);
        expect(result.mismatches).toBe(0);
        expect(result.checked).toBe(tokens * n);
        expect(result.reusedEarly).toBe(0);
        // The race was real: resets happened while the kernel ran, and buffers were reused.
        expect(result.resetWhileBusy).toBeGreaterThan(0);
        expect(result.reused).toBeGreaterThan(0);
      } finally {
        kernels.destroyStream(device.nativeHandles.device, stream);
        device.dispose();
      }
    },
  );
});
