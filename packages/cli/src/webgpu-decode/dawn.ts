import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A WebGPU device through Dawn's `webgpu` package, or one line saying why there is none. */
export type WebGpuOpen =
  | { device: GPUDevice; adapterName: string; close(): void }
  | { device: null; reason: string };

/** How to get an adapter on this kind of machine; printed with every "no adapter" reason. */
export const ADAPTER_HINT =
  "on Debian bookworm run scripts/ci/install-lavapipe.sh (Mesa's lavapipe from bookworm-backports), or use a machine with a Vulkan, Metal or D3D12 driver";

/**
 * Dawn's `create()` result. Kept reachable while its devices live: Dawn crashes inside
 * `mapAsync` when it is garbage-collected under them.
 */
let instance: GPU | undefined;

export async function openWebGpu(): Promise<WebGpuOpen> {
  // Dawn warns on start without a writable runtime directory.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), "mlx-xdg-"));
  let dawn: typeof import("webgpu");
  try {
    dawn = await import("webgpu");
  } catch (error) {
    return {
      device: null,
      reason: `Dawn's webgpu package did not load (${(error as Error).message.split("\n")[0]})`,
    };
  }
  Object.assign(globalThis, dawn.globals);
  instance ??= dawn.create([]);
  const adapter = await instance.requestAdapter();
  if (adapter === null) return { device: null, reason: "Dawn found no WebGPU adapter" };
  const device = await adapter.requestDevice();
  const info = adapter.info;
  const adapterName =
    [info.description, info.vendor, info.architecture].filter((s) => s !== "").join(", ") ||
    "unnamed adapter";
  return { device, adapterName, close: () => device.destroy() };
}
