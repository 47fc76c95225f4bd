import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A real GPUDevice through Dawn, or why there is none. */
export type DawnDevice =
  | { device: GPUDevice; adapterName: string }
  | { device: null; reason: string };

/**
 * Dawn's `create()` result: kept reachable for the whole process, because Dawn crashes inside
 * `mapAsync` once it is garbage-collected while its devices are in use.
 */
let gpu: GPU | undefined;
let opened: Promise<DawnDevice> | undefined;

/** Opens one device per test file (Vulkan: lavapipe here, the NVIDIA driver on a GPU machine). */
export function openDawnDevice(): Promise<DawnDevice> {
  opened ??= open();
  return opened;
}

async function open(): Promise<DawnDevice> {
  // Dawn warns on every start without a writable runtime directory.
  process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), "mlx-xdg-"));
  let dawn: typeof import("webgpu");
  try {
    dawn = await import("webgpu");
  } catch (error) {
    return {
      device: null,
      reason: `Dawn's webgpu package did not load: ${(error as Error).message}`,
    };
  }
  Object.assign(globalThis, dawn.globals);
  gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter === null) {
    return {
      device: null,
      reason:
        "no WebGPU adapter: install Mesa's lavapipe from bookworm-backports (scripts/ci/install-lavapipe.sh) or run on a machine with a Vulkan driver",
    };
  }
  const device = await adapter.requestDevice();
  const info = adapter.info;
  return {
    device,
    adapterName: `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.trim(),
  };
}

/** Reads `byteLength` bytes of `source` back through a MAP_READ staging buffer. */
export async function readBack(
  device: GPUDevice,
  source: GPUBuffer,
  byteLength: number,
  sourceOffset = 0,
): Promise<Uint32Array> {
  const staging = device.createBuffer({
    size: byteLength,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(source, sourceOffset, staging, 0, byteLength);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}
