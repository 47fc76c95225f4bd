// The example as a program: `pnpm start` on a Mac (after `pnpm build:addon`).
import { readFileSync } from "node:fs";
import { MlxDevice } from "@mlx/pool";
import { runDecodeLoop } from "./decode-loop.js";
import { loadMetalKernelAddon, SAXPY_SOURCE_URL } from "./load-addon.js";

const device = MlxDevice.open({ backend: "metal" });
const { SaxpyKernel } = loadMetalKernelAddon();
const kernel = new SaxpyKernel(device.nativeHandles.device, readFileSync(SAXPY_SOURCE_URL, "utf8"));
try {
  const result = await runDecodeLoop(device, kernel, { tokens: 32, n: 4096, a: 2.5 });
  console.log(
    `${device.name}: ${result.tokens} tokens, ${result.checked} elements checked, ` +
      `${result.mismatches} mismatches, ${result.freshAllocations} fresh allocations`,
  );
  if (result.mismatches > 0) process.exitCode = 1;
} finally {
  kernel.dispose();
  device.dispose();
}
