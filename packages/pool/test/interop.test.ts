// Handing pooled buffers to GPU code: native handles, device selection, the user's own queue
// for fences and residency. Runs on the backend under test (MLX_BACKEND: host here, metal under
// the fake Metal runtime, cuda on the GPU machine); per-backend expectations are spelled out.
import { liveNativeBuffers } from "@mlx/metal-native";
import { describe, expect, it } from "vitest";
import { fakeMetal } from "../../metal-native/test/fake-metal/report.js";
import { DType, MlxBufferPool, MlxDevice } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";
import { fakeMetalSkipReason } from "./metal-on-fake.js";

const device = devicesDisposedAfterEach();

const metalSkip = fakeMetalSkipReason("interop.test.ts", "Metal queue tests");

/** A queue handle the backend accepts as the user's: a real queue under the fake, any nonzero value elsewhere. */
function userQueue(dev: MlxDevice): { queue: bigint; release(): void } {
  if (dev.backend === "metal") {
    if (fakeMetal === null)
      throw new Error("metal without the fake: no way to make a user queue here");
    const queue = fakeMetal.fakeMetalNewCommandQueue(dev.nativeHandles.device);
    return { queue, release: () => fakeMetal?.fakeMetalReleaseObject(queue) };
  }
  return { queue: 0x5eedn, release: () => {} };
}

describe("MlxDevice.list and open({ index })", () => {
  it("lists every device of every available backend, the one under test at index 0", () => {
    const dev = device();
    const list = MlxDevice.list();
    const mine = list.filter((d) => d.backend === dev.backend);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.map((d) => d.index)).toEqual(mine.map((_, i) => i));
    expect(mine[0]).toEqual({
      backend: dev.backend,
      index: 0,
      name: dev.name,
      maxBufferLength: dev.maxBufferLength,
      hasUnifiedMemory: dev.hasUnifiedMemory,
    });
    expect(list.filter((d) => d.backend === "host")).toHaveLength(1);
    expect(dev.index).toBe(0);
  });

  it("opens each listed device of the backend by index", () => {
    const backend = device().backend;
    for (const described of MlxDevice.list().filter((d) => d.backend === backend)) {
      const opened = MlxDevice.open({ backend, index: described.index });
      try {
        expect(opened.index).toBe(described.index);
        expect(opened.name).toBe(described.name);
      } finally {
        opened.dispose();
      }
    }
  });

  it("refuses a malformed index (INVALID_ARGUMENT) and one past the last (DEVICE_NOT_FOUND), opening nothing", () => {
    const backend = device().backend;
    const count = MlxDevice.list().filter((d) => d.backend === backend).length;
    const before = liveNativeBuffers();
    for (const index of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "0", 2 ** 60, null]) {
      const error = expectMlxError(
        () => MlxDevice.open({ backend, index: index as number }),
        "INVALID_ARGUMENT",
      );
      expect(error.message).toContain("index");
    }
    const past = expectMlxError(
      () => MlxDevice.open({ backend, index: count }),
      "DEVICE_NOT_FOUND",
    );
    expect(past.message).toContain(String(count));
    expectMlxError(() => MlxDevice.open({ backend: "host", index: 1 }), "DEVICE_NOT_FOUND");
    expect(liveNativeBuffers()).toEqual(before);
  });
});

describe("native handles", () => {
  it("nativeHandles: metal the device and its queue; cuda the ordinal and 0n; host 0n and 0n", () => {
    const dev = device();
    const { device: handle, queue } = dev.nativeHandles;
    if (dev.backend === "metal") {
      expect(handle).not.toBe(0n);
      expect(queue).not.toBe(0n);
      expect(queue).not.toBe(handle);
    } else if (dev.backend === "cuda") {
      expect(handle).toBe(BigInt(dev.index));
      expect(queue).toBe(0n);
    } else {
      expect(dev.nativeHandles).toEqual({ device: 0n, queue: 0n });
    }
  });

  it("a pooled buffer's nativeHandle, byteOffset and gpuAddress, per backend, distinct per buffer", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const a = pool.alloc(dev, 1000, DType.F32, [250]);
    const b = pool.alloc(dev, 1000, DType.F32, [250]);
    expect(a.byteOffset).toBe(0);
    expect(a.nativeHandle).not.toBe(b.nativeHandle);
    expect(a.gpuAddress).not.toBe(b.gpuAddress);
    if (dev.backend === "metal") {
      // The id<MTLBuffer>, not its contents; gpuAddress is the buffer's GPU address.
      expect(a.nativeHandle).not.toBe(a.address);
      expect(a.gpuAddress).not.toBe(0n);
      expect(a.gpuAddress).not.toBe(a.address);
    } else {
      expect(a.nativeHandle).toBe(a.address);
      expect(a.gpuAddress).toBe(a.address);
    }
    pool.dispose();
  });

  it("reading a handle after the lease ended is STALE_BUFFER (release, reset, dispose of a direct buffer)", () => {
    const dev = device();
    const pool = new MlxBufferPool();
    const released = pool.alloc(dev, 64, DType.U8, [64]);
    const handle = released.nativeHandle;
    pool.release(released);
    expectMlxError(() => released.nativeHandle, "STALE_BUFFER");
    expectMlxError(() => released.gpuAddress, "STALE_BUFFER");
    const reset = pool.alloc(dev, 64, DType.U8, [64]);
    expect(reset.nativeHandle).toBe(handle); // the same allocation, a new lease
    pool.reset();
    expectMlxError(() => reset.nativeHandle, "STALE_BUFFER");
    expect(pool.stats().freeCount).toBe(1);
    const direct = dev.allocBuffer(64, DType.U8, [64]);
    expect(direct.nativeHandle).not.toBe(0n);
    direct.dispose();
    expectMlxError(() => direct.nativeHandle, "STALE_BUFFER");
    expectMlxError(() => direct.gpuAddress, "STALE_BUFFER");
    pool.dispose();
  });
});

describe("fence and residency on the user's queue", () => {
  it("attachResidency records (and on metal attaches) a queue; detach undoes it", () => {
    const dev = device();
    const user = userQueue(dev);
    try {
      dev.attachResidency(user.queue);
      expect(dev.native.residencyQueues()).toEqual([user.queue]);
      if (fakeMetal !== null && dev.backend === "metal") {
        expect(fakeMetal.fakeMetalQueueResidencySets(user.queue)).toBe(
          dev.residencySetsEnabled ? 1 : 0,
        );
      }
      dev.detachResidency(user.queue);
      expect(dev.native.residencyQueues()).toEqual([]);
      if (fakeMetal !== null && dev.backend === "metal") {
        expect(fakeMetal.fakeMetalQueueResidencySets(user.queue)).toBe(0);
      }
    } finally {
      user.release();
    }
  });

  it("bad queues are INVALID_ARGUMENT and change nothing; a disposed device is DISPOSED", () => {
    const dev = device();
    const user = userQueue(dev);
    try {
      for (const bad of [0n, -1n, 2n ** 64n, 5, "1", undefined, null]) {
        expectMlxError(() => dev.attachResidency(bad as bigint), "INVALID_ARGUMENT");
      }
      expectMlxError(() => dev.detachResidency(user.queue), "INVALID_ARGUMENT");
      dev.attachResidency(user.queue);
      const twice = expectMlxError(() => dev.attachResidency(user.queue), "INVALID_ARGUMENT");
      expect(twice.message).toContain("already attached");
      expectMlxError(() => dev.detachResidency(0n), "INVALID_ARGUMENT");
      expect(dev.native.residencyQueues()).toEqual([user.queue]);
      dev.dispose();
      expectMlxError(() => dev.attachResidency(user.queue), "DISPOSED");
      expectMlxError(() => dev.detachResidency(user.queue), "DISPOSED");
      if (fakeMetal !== null && dev.backend === "metal") {
        expect(fakeMetal.fakeMetalQueueResidencySets(user.queue)).toBe(0);
      }
    } finally {
      user.release();
    }
  });

  it("fence(queue): the user's queue on metal and cuda; 0n only on the host", async () => {
    const dev = device();
    if (dev.backend === "host") {
      expectMlxError(() => dev.fence(0x5eedn), "INVALID_ARGUMENT");
      await expect(dev.fence(0n)).resolves.toBeUndefined();
      return;
    }
    if (dev.backend === "cuda") {
      // 0n: the legacy default stream. A user's cudaStream_t: examples/cuda-kernel's test.
      await expect(dev.fence(0n)).resolves.toBeUndefined();
      return;
    }
    const user = userQueue(dev);
    try {
      fakeMetal?.fakeMetalCallLog(true);
      await expect(dev.fence(user.queue)).resolves.toBeUndefined();
      expect(fakeMetal?.fakeMetalCallLog()).toContain(
        `FakeMTLCommandQueue commandBuffer queue=0x${user.queue.toString(16)}`,
      );
    } finally {
      user.release();
    }
  });

  it.skipIf(metalSkip !== null)(
    "metal: a queue of another device is INVALID_ARGUMENT for fence and attachResidency",
    () => {
      const dev = device();
      if (fakeMetal === null) throw new Error(String(metalSkip));
      const foreign = fakeMetal.fakeMetalNewCommandQueue(null);
      try {
        expectMlxError(() => dev.fence(foreign), "INVALID_ARGUMENT");
        const error = expectMlxError(() => dev.attachResidency(foreign), "INVALID_ARGUMENT");
        expect(error.message).toContain("another MTLDevice");
        expectMlxError(() => dev.attachResidency(dev.nativeHandles.queue), "INVALID_ARGUMENT");
        expect(dev.native.residencyQueues()).toEqual([]);
        expect(fakeMetal.fakeMetalQueueResidencySets(foreign)).toBe(0);
      } finally {
        fakeMetal.fakeMetalReleaseObject(foreign);
      }
    },
  );

  it.skipIf(metalSkip !== null)(
    "metal: past 32 residency sets on one queue is RESIDENCY and attaches nothing",
    () => {
      const dev = device();
      if (fakeMetal === null) throw new Error(String(metalSkip));
      expect(dev.residencySetsEnabled).toBe(true);
      const queue = fakeMetal.fakeMetalNewCommandQueue(dev.nativeHandles.device);
      // 31 more sets: with the device's own, 32 sets on the device's queue.
      const sets = Array.from({ length: 31 }, (_, i) => dev.native.newResidencySet(`extra ${i}`));
      const other = MlxDevice.open({ backend: "metal" });
      try {
        dev.attachResidency(queue);
        expect(fakeMetal.fakeMetalQueueResidencySets(queue)).toBe(32);
        const error = expectMlxError(() => other.attachResidency(queue), "RESIDENCY");
        expect(error.message).toContain("32");
        expect(other.native.residencyQueues()).toEqual([]);
        expect(fakeMetal.fakeMetalQueueResidencySets(queue)).toBe(32);
        dev.detachResidency(queue);
        other.attachResidency(queue);
        expect(fakeMetal.fakeMetalQueueResidencySets(queue)).toBe(1);
      } finally {
        other.dispose();
        for (const set of sets) set.destroy();
        fakeMetal.fakeMetalReleaseObject(queue);
      }
    },
  );
});
