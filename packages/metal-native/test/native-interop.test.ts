// The native layer's interop entry points: listDevices, openDevice(backend, index),
// nativeBufferHandles, and a device's index, native handles and residency queues. Runs on every
// available backend (the host here; metal under the fake; cuda on the GPU machine).
import { describe, expect, it } from "vitest";
import {
  availableBackends,
  listDevices,
  liveNativeBuffers,
  nativeBufferHandles,
  openDevice,
} from "../src/index.js";
import { expectNativeError } from "./helpers.js";

describe.each(availableBackends)("%s", (backend) => {
  it("listDevices numbers the backend's devices from 0, each one opens at its index", () => {
    const mine = listDevices().filter((d) => d.backend === backend);
    expect(mine.map((d) => d.index)).toEqual(mine.map((_, i) => i));
    for (const described of mine) {
      const device = openDevice(backend, described.index);
      try {
        expect(device.index).toBe(described.index);
        expect(device.name).toBe(described.name);
        expect(device.maxBufferLength).toBe(described.maxBufferLength);
        expect(device.hasUnifiedMemory).toBe(described.hasUnifiedMemory);
      } finally {
        device.destroy();
      }
    }
  });

  it("a bad index is INVALID_ARGUMENT, one past the last DEVICE_NOT_FOUND; nothing is opened", () => {
    const count = listDevices().filter((d) => d.backend === backend).length;
    const before = liveNativeBuffers();
    for (const index of [-1, 0.5, Number.NaN, "1", 2 ** 32]) {
      expectNativeError(() => openDevice(backend, index as number), "INVALID_ARGUMENT", {
        is: index,
      });
    }
    expectNativeError(() => openDevice(backend, count), "DEVICE_NOT_FOUND", { is: count });
    expect(liveNativeBuffers()).toEqual(before);
  });

  it("nativeBufferHandles: live buffers only; the pointer itself on host and cuda", () => {
    const device = openDevice(backend);
    try {
      const buffer = device.allocBuffer(256);
      const handles = nativeBufferHandles(buffer);
      if (backend === "metal") {
        expect(handles.nativeHandle).not.toBe(buffer.address);
        expect(handles.gpuAddress).not.toBe(0n);
      } else {
        expect(handles).toEqual({ nativeHandle: buffer.address, gpuAddress: buffer.address });
      }
      buffer.destroy();
      expectNativeError(() => nativeBufferHandles(buffer), "DISPOSED");
      expectNativeError(() => nativeBufferHandles({} as never), "INVALID_ARGUMENT");
    } finally {
      device.destroy();
    }
  });

  // Metal needs a real queue: packages/pool/test/interop.test.ts makes one under the fake.
  it.skipIf(backend === "metal")(
    "residency queues: 0n, non-bigints and repeats refused; destroy detaches every queue",
    () => {
      const device = openDevice(backend);
      expectNativeError(() => device.attachResidency(0n), "INVALID_ARGUMENT");
      expectNativeError(() => device.attachResidency(1 as never), "INVALID_ARGUMENT", { is: 1 });
      device.attachResidency(7n);
      device.attachResidency(9n);
      expectNativeError(() => device.attachResidency(7n), "INVALID_ARGUMENT", { is: 7n });
      expect(device.residencyQueues()).toEqual([7n, 9n]);
      device.detachResidency(7n);
      expectNativeError(() => device.detachResidency(7n), "INVALID_ARGUMENT", { is: 7n });
      expect(device.residencyQueues()).toEqual([9n]);
      device.destroy();
      expect(device.residencyQueues()).toEqual([]);
      expectNativeError(() => device.attachResidency(7n), "DISPOSED");
    },
  );
});
