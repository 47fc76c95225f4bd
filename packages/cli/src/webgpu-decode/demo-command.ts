import { type DemoOptions, formatDemo, runDemo } from "../commands/demo.js";
import type { CommandIO } from "../io.js";
import { ADAPTER_HINT, openWebGpu } from "./dawn.js";
import { formatWebGpuDecode, runWebGpuDecode } from "./runner.js";

export interface DemoCommandOptions {
  backend: string;
  tokens: number;
  preset: string;
  json?: boolean;
  /** Record the native pool demo's pooled loop to this file (an mlx-pool-trace/1 document). */
  record?: string;
}

/**
 * `mlx-pool demo`: the WGSL decode when a WebGPU adapter exists (`--backend auto` or `webgpu`),
 * else the pool demo on the native backend, after one line saying why and how to get one.
 * Resolves with the exit code.
 */
export async function demoCommand(opts: DemoCommandOptions, io: CommandIO): Promise<number> {
  if (opts.record !== undefined && opts.backend === "webgpu") {
    io.err(
      "mlx-pool demo: --record records the native pool demo; use --backend auto or a native backend",
    );
    return 2;
  }
  // A recording is of MlxBufferPool, so --record runs the native pool demo.
  if (opts.record === undefined && (opts.backend === "auto" || opts.backend === "webgpu")) {
    const gpu = await openWebGpu();
    if (gpu.device !== null) {
      try {
        const result = await runWebGpuDecode(gpu.device, gpu.adapterName, { tokens: opts.tokens });
        if (opts.json) io.out(JSON.stringify(result));
        else for (const line of formatWebGpuDecode(result)) io.out(line);
        return 0;
      } finally {
        gpu.close();
      }
    }
    if (opts.backend === "webgpu") {
      io.err(`mlx-pool demo: --backend webgpu: ${gpu.reason}; ${ADAPTER_HINT}`);
      return 1;
    }
    io.err(
      `mlx-pool demo: ${gpu.reason}, so this is the host-backend demo; for the WGSL decode, ${ADAPTER_HINT}`,
    );
  }
  const result = runDemo({ ...opts, backend: opts.backend as DemoOptions["backend"] }, io);
  if (opts.json) io.out(JSON.stringify(result));
  else for (const line of formatDemo(result)) io.out(line);
  return 0;
}
