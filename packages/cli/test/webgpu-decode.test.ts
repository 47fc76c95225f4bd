import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openWebGpu, type WebGpuOpen } from "../src/webgpu-decode/dawn.js";
import { GpuModel, type ScratchAllocator } from "../src/webgpu-decode/gpu-model.js";
import { argmax, DEMO_MODEL, type ModelConfig, randomWeights } from "../src/webgpu-decode/model.js";
import { CpuReference } from "../src/webgpu-decode/reference.js";
import { decodeTokens, randomWeightsCache, runWebGpuDecode } from "../src/webgpu-decode/runner.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const gpu: WebGpuOpen = await openWebGpu();
if (gpu.device === null) console.warn(`[@mlx/cli] WGSL decode tests skipped: ${gpu.reason}`);
afterAll(() => {
  if (gpu.device !== null) gpu.close();
});

const SMALL: ModelConfig = { ...DEMO_MODEL, layers: 2, maxTokens: 64 };

describe("the demo model on the CPU", () => {
  it("has fixed weights per seed and a reference that depends on the whole context", () => {
    const a = randomWeights(SMALL, 7);
    expect(randomWeights(SMALL, 7).embedding).toEqual(a.embedding);
    expect(randomWeights(SMALL, 8).embedding).not.toEqual(a.embedding);
    const one = new CpuReference(a);
    const two = new CpuReference(a);
    one.step(3);
    const afterThree = one.step(5);
    const fresh = two.step(5);
    expect(afterThree).not.toEqual(fresh);
    expect(argmax(Float32Array.from([1, 9, 9, 2]))).toBe(1);
  });
});

describe.skipIf(gpu.device === null)("the WGSL decode on a real GPUDevice", () => {
  const device = gpu.device as GPUDevice;
  const adapter = gpu.device === null ? "" : gpu.adapterName;

  it("matches the CPU reference every token, pooled and direct, with no fresh buffer after warm-up", async () => {
    const r = await runWebGpuDecode(device, adapter, { tokens: 10, config: SMALL });
    expect(r.generated).toHaveLength(10);
    expect(r.maxLogitError).toBeLessThan(1e-3);
    expect(r.scratchPerToken).toBe(5 + 11 * SMALL.layers);
    expect(r.misses).toBe(r.scratchPerToken);
    expect(r.hits).toBe(r.scratchPerToken * 9);
    expect(r.freshAfterWarmup).toBe(0);
    expect(r.peakHeldBytes).toBeGreaterThanOrEqual(r.peakLiveBytes);
    expect(r.pooledTokensPerSecond).toBeGreaterThan(0);
  });

  it("the per-token check fails when scratch buffers are aliased while in use", async () => {
    const model = new GpuModel(device, randomWeightsCache(SMALL, 11));
    // Every request of one size gets the same buffer: what a pool that reused live buffers does.
    const shared = new Map<string, GPUBuffer>();
    const aliasing: ScratchAllocator = {
      alloc(size, usage) {
        const key = `${size}/${usage}`;
        let buffer = shared.get(key);
        if (buffer === undefined) {
          buffer = device.createBuffer({ size, usage });
          shared.set(key, buffer);
        }
        return buffer;
      },
      endToken() {},
    };
    try {
      await expect(decodeTokens(model, aliasing, 4, 11)).rejects.toThrow(
        /differ from the CPU reference/,
      );
    } finally {
      for (const buffer of shared.values()) buffer.destroy();
      model.destroy();
    }
  });

  it("mlx-pool demo prints the WGSL decode report (and JSON with --backend webgpu)", () => {
    const text = spawnSync(process.execPath, [BIN, "demo", "--tokens", "6"], { encoding: "utf8" });
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^mlx-pool demo: WGSL decode of 6 tokens on WebGPU/);
    expect(text.stdout).toMatch(/logits vs CPU\s+every token within/);
    expect(text.stdout).toMatch(/hit rate\s+[\d.]+% \(\d+ fresh, 0 after warm-up\)/);
    expect(text.stdout).toMatch(/pooled\s+[\d.]+ tokens\/s/);
    const json = spawnSync(
      process.execPath,
      [BIN, "demo", "--backend", "webgpu", "--tokens", "5", "--json"],
      {
        encoding: "utf8",
      },
    );
    expect(json.status).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.backend).toBe("webgpu");
    expect(r.generated).toHaveLength(5);
  });
});

describe("mlx-pool demo without an adapter", () => {
  const noDriver = {
    ...process.env,
    VK_ICD_FILENAMES: "/nonexistent/icd.json",
    VK_DRIVER_FILES: "/nonexistent/icd.json",
    MLX_BACKEND: "host",
  };

  it("says in one line why and how to get one, then runs the host demo", () => {
    const r = spawnSync(process.execPath, [BIN, "demo", "--tokens", "4"], {
      encoding: "utf8",
      env: noDriver,
    });
    expect(r.status).toBe(0);
    const why = r.stderr.split("\n").filter((l) => l.startsWith("mlx-pool demo:"));
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(
      /no WebGPU adapter, so this is the host-backend demo; .*install-lavapipe\.sh/,
    );
    expect(r.stdout).toMatch(/^mlx-pool demo: 4 tokens on host/);
  });

  it("--backend webgpu fails with that reason", () => {
    const r = spawnSync(process.execPath, [BIN, "demo", "--backend", "webgpu", "--tokens", "4"], {
      encoding: "utf8",
      env: noDriver,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--backend webgpu: Dawn found no WebGPU adapter/);
  });

  it("rejects --tokens beyond the KV cache", async () => {
    if (gpu.device === null) return;
    await expect(runWebGpuDecode(gpu.device, "", { tokens: 65, config: SMALL })).rejects.toThrow(
      /KV cache/,
    );
  });
});
