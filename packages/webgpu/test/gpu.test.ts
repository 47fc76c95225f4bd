import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BufferUsage, WebGpuBufferPool } from "../src/index.js";
import { type DawnDevice, openDawnDevice, readBack } from "./dawn-device.js";

const dawn: DawnDevice = await openDawnDevice();
if (dawn.device === null) console.warn(`[@mlx/webgpu] GPU tests skipped: ${dawn.reason}`);
else console.info(`[@mlx/webgpu] GPU tests on ${dawn.adapterName}`);

const STORAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

/** out[i] = i * 3 + seed; and dst[i] = src[i] + 1. */
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> seed: vec4<u32>;
@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&out)) { out[id.x] = id.x * 3u + seed.x; }
}
@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@compute @workgroup_size(64)
fn inc(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&dst)) { dst[id.x] = src[id.x] + 1u; }
}
`;

describe.runIf(dawn.device === null && process.env.CI !== undefined)("in CI", () => {
  it("has a WebGPU adapter (lavapipe from scripts/ci/install-lavapipe.sh)", () => {
    expect(dawn.device === null ? dawn.reason : "found").toBe("found");
  });
});

describe.skipIf(dawn.device === null)("WebGpuBufferPool on a real GPUDevice (Dawn)", () => {
  const device = dawn.device as GPUDevice;
  let fill: GPUComputePipeline;
  let inc: GPUComputePipeline;
  let pool: WebGpuBufferPool;

  beforeAll(() => {
    const module = device.createShaderModule({ code: SHADER });
    fill = device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: "fill" },
    });
    inc = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "inc" } });
  });
  afterAll(() => pool?.dispose());

  /** Encodes `fill` over [0, byteLength) of `out`, with a pooled uniform for the seed. */
  function encodeFill(
    encoder: GPUCommandEncoder,
    out: GPUBuffer,
    byteLength: number,
    seedBuffer: GPUBuffer,
  ) {
    const pass = encoder.beginComputePass();
    pass.setPipeline(fill);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: fill.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: out, offset: 0, size: byteLength } },
          { binding: 1, resource: { buffer: seedBuffer, offset: 0, size: 16 } },
        ],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(byteLength / 4 / 64));
    pass.end();
  }

  function encodeInc(
    encoder: GPUCommandEncoder,
    dst: GPUBuffer,
    src: GPUBuffer,
    byteLength: number,
  ) {
    const pass = encoder.beginComputePass();
    pass.setPipeline(inc);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        layout: inc.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: dst, offset: 0, size: byteLength } },
          { binding: 1, resource: { buffer: src, offset: 0, size: byteLength } },
        ],
      }),
    );
    pass.dispatchWorkgroups(Math.ceil(byteLength / 4 / 64));
    pass.end();
  }

  it('policy "arena": kernels write leases bound at their offsets in shared slabs; no lease touches another', async () => {
    const arena = new WebGpuBufferPool(device, { label: "arena-test", policy: "arena" });
    try {
      const sizes = [4096, 1024, 4096, 65536, 512, 20_000];
      for (let step = 0; step < 3; step++) {
        const leases = sizes.map((n) => arena.alloc(n, STORAGE));
        const seeds = sizes.map(() => arena.alloc(16, BufferUsage.UNIFORM | BufferUsage.COPY_DST));
        const encoder = device.createCommandEncoder();
        leases.forEach((lease, i) => {
          const seed = seeds[i] as (typeof seeds)[number];
          device.queue.writeBuffer(
            seed.buffer,
            seed.byteOffset,
            new Uint32Array([step * 100 + i, 0, 0, 0]),
          );
          const pass = encoder.beginComputePass();
          pass.setPipeline(fill);
          pass.setBindGroup(
            0,
            device.createBindGroup({
              layout: fill.getBindGroupLayout(0),
              entries: [
                {
                  binding: 0,
                  resource: {
                    buffer: lease.buffer,
                    offset: lease.byteOffset,
                    size: lease.byteLength,
                  },
                },
                {
                  binding: 1,
                  resource: { buffer: seed.buffer, offset: seed.byteOffset, size: 16 },
                },
              ],
            }),
          );
          pass.dispatchWorkgroups(Math.ceil(lease.byteLength / 4 / 64));
          pass.end();
        });
        device.queue.submit([encoder.finish()]);
        expect(new Set(leases.map((l) => l.buffer)).size).toBe(1); // one slab for all of them
        for (const [i, lease] of leases.entries()) {
          expect(lease.byteOffset % device.limits.minStorageBufferOffsetAlignment).toBe(0);
          const got = await readBack(device, lease.buffer, lease.byteLength, lease.byteOffset);
          const want = Uint32Array.from(
            { length: lease.byteLength / 4 },
            (_, k) => k * 3 + step * 100 + i,
          );
          expect(got).toEqual(want);
        }
        arena.reset();
      }
      expect(arena.stats()).toMatchObject({ policy: "arena", heldCount: 2, misses: 2 });
    } finally {
      arena.dispose();
    }
  });

  it("kernels write pooled buffers across resets; every read-back is right and buffers are reused", async () => {
    pool = new WebGpuBufferPool(device, { label: "test" });
    const sizes = [4096, 1000, 4096, 65536, 300];
    for (let step = 0; step < 4; step++) {
      const leases = sizes.map((n) => pool.alloc(n, STORAGE));
      const seeds = sizes.map(() => pool.alloc(16, BufferUsage.UNIFORM | BufferUsage.COPY_DST));
      const encoder = device.createCommandEncoder();
      leases.forEach((lease, i) => {
        const seedBuffer = (seeds[i] as (typeof seeds)[number]).buffer;
        device.queue.writeBuffer(seedBuffer, 0, new Uint32Array([step * 100 + i, 0, 0, 0]));
        encodeFill(encoder, lease.buffer, lease.byteLength, seedBuffer);
      });
      device.queue.submit([encoder.finish()]);
      for (const [i, lease] of leases.entries()) {
        const got = await readBack(device, lease.buffer, lease.byteLength);
        const want = Uint32Array.from(
          { length: lease.byteLength / 4 },
          (_, k) => k * 3 + step * 100 + i,
        );
        expect(got).toEqual(want);
      }
      pool.reset();
    }
    const s = pool.stats();
    expect(s.misses).toBe(sizes.length * 2);
    expect(s.hits).toBe(sizes.length * 2 * 3);
    expect(s.heldBytes).toBe(4096 * 2 + 1024 + 65536 + 512 + 16 * 5);
    pool.dispose();
  });

  it("the hazard is real: a buffer released before its commands were submitted takes the next user's write", async () => {
    pool = new WebGpuBufferPool(device);
    const n = 1024;
    const src = pool.alloc(n, STORAGE);
    const dst = pool.alloc(n, STORAGE);
    device.queue.writeBuffer(src.buffer, 0, new Uint32Array(n / 4).fill(7));
    const encoder = device.createCommandEncoder();
    encodeInc(encoder, dst.buffer, src.buffer, n);
    const srcBuffer = src.buffer;
    pool.release(src); // against the rule: encoded, not submitted
    const next = pool.alloc(n, STORAGE);
    expect(next.buffer).toBe(srcBuffer);
    device.queue.writeBuffer(next.buffer, 0, new Uint32Array(n / 4).fill(1000));
    device.queue.submit([encoder.finish()]);
    expect((await readBack(device, dst.buffer, n))[0]).toBe(1001);
    pool.dispose();
  });

  it("following the rule (release after submit) keeps the result, on the same reused buffer", async () => {
    pool = new WebGpuBufferPool(device);
    const n = 1024;
    const src = pool.alloc(n, STORAGE);
    const dst = pool.alloc(n, STORAGE);
    device.queue.writeBuffer(src.buffer, 0, new Uint32Array(n / 4).fill(7));
    const encoder = device.createCommandEncoder();
    encodeInc(encoder, dst.buffer, src.buffer, n);
    device.queue.submit([encoder.finish()]);
    const srcBuffer = src.buffer;
    pool.release(src); // submitted: queue order protects it without waiting for the GPU
    const next = pool.alloc(n, STORAGE);
    expect(next.buffer).toBe(srcBuffer);
    device.queue.writeBuffer(next.buffer, 0, new Uint32Array(n / 4).fill(1000));
    expect(await readBack(device, dst.buffer, n)).toEqual(new Uint32Array(n / 4).fill(8));
    pool.dispose();
  });

  it("{ after } holds encoded-but-unsubmitted buffers back until the fence settles", async () => {
    pool = new WebGpuBufferPool(device);
    const n = 1024;
    const src = pool.alloc(n, STORAGE);
    const dst = pool.alloc(n, STORAGE);
    device.queue.writeBuffer(src.buffer, 0, new Uint32Array(n / 4).fill(7));
    const encoder = device.createCommandEncoder();
    encodeInc(encoder, dst.buffer, src.buffer, n);
    let submitted: () => void = () => {};
    const srcBuffer = src.buffer;
    const dstBuffer = dst.buffer;
    pool.reset({ after: new Promise<void>((r) => (submitted = r)) });
    const next = pool.alloc(n, STORAGE);
    expect(next.buffer).not.toBe(srcBuffer);
    device.queue.writeBuffer(next.buffer, 0, new Uint32Array(n / 4).fill(1000));
    device.queue.submit([encoder.finish()]);
    submitted();
    expect(await readBack(device, dstBuffer, n)).toEqual(new Uint32Array(n / 4).fill(8));
    await device.queue.onSubmittedWorkDone();
    expect(pool.stats().pendingCount).toBe(0);
    expect([srcBuffer, dstBuffer]).toContain(pool.alloc(n, STORAGE).buffer);
    pool.dispose();
  });

  it("a pooled MAP_READ buffer is refused while mapped and taken back after unmap", async () => {
    pool = new WebGpuBufferPool(device);
    const data = pool.alloc(256, STORAGE);
    device.queue.writeBuffer(data.buffer, 0, new Uint32Array(64).fill(42));
    const staging = pool.alloc(256, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(data.buffer, 0, staging.buffer, 0, 256);
    device.queue.submit([encoder.finish()]);
    await staging.buffer.mapAsync(GPUMapMode.READ);
    expect(new Uint32Array(staging.buffer.getMappedRange())[63]).toBe(42);
    expect(() => pool.release(staging)).toThrow(/mapped/);
    expect(() => pool.reset()).toThrow(/unmap/);
    staging.buffer.unmap();
    pool.reset();
    expect(pool.stats().freeCount).toBe(2);
    pool.dispose();
  });

  it("a fresh pooled buffer is zeroed by WebGPU; a reused one keeps its bytes; clear destroys free ones", async () => {
    pool = new WebGpuBufferPool(device);
    const a = pool.alloc(512, STORAGE);
    expect(await readBack(device, a.buffer, 512)).toEqual(new Uint32Array(128));
    device.queue.writeBuffer(a.buffer, 0, new Uint32Array(128).fill(9));
    pool.reset();
    const b = pool.alloc(512, STORAGE);
    expect((await readBack(device, b.buffer, 512))[5]).toBe(9);
    pool.reset();
    expect(pool.clear()).toBe(1);
    expect(pool.stats().heldCount).toBe(0);
    pool.dispose();
  });
});
