// The example as a program: `pnpm start` on a machine with a CUDA GPU (after `pnpm build:addon`).
import { MlxDevice } from "@mlx/pool";
import { runDecodeLoop } from "./decode-loop.js";
import { loadCudaKernelAddon } from "./load-addon.js";

const device = MlxDevice.open({ backend: "cuda" });
const kernels = loadCudaKernelAddon();
const stream = kernels.createStream(device.nativeHandles.device);
try {
  const tokens = 64;
  const n = 1 << 16;
  const result = await runDecodeLoop(device, kernels, stream, {
    tokens,
    n,
    a: 2.5,
    spinMicros: 2000,
    syncEvery: 8,
  });
  console.log(
    `${device.name}: ${tokens} tokens; ${result.checked} of ${tokens * n} elements checked, ` +
      `${result.mismatches} mismatches; ${result.reused} buffers reused, ${result.reusedEarly} before their kernel finished; ` +
      `${result.resetWhileBusy} resets while the kernel still ran`,
  );
  if (result.mismatches > 0 || result.reusedEarly > 0 || result.checked !== tokens * n)
    process.exitCode = 1;
} finally {
  kernels.destroyStream(device.nativeHandles.device, stream);
  device.dispose();
}
