import { afterEach, describe, expect, it } from "vitest";
import { type NativeError, openDevice } from "../src/index.js";
import { setHostFenceDelay } from "../src/test-hooks.js";
import { expectNativeError } from "./helpers.js";

describe("NativeDevice.fence (host)", () => {
  afterEach(() => setHostFenceDelay(null));

  it("returns a promise that resolves to undefined", async () => {
    const device = openDevice("host");
    const fence = device.fence();
    expect(fence).toBeInstanceOf(Promise);
    expect(await fence).toBeUndefined();
    expect(await device.fence(0n)).toBeUndefined();
    device.destroy();
  });

  it("resolves before a timer: host fences are already complete", async () => {
    const device = openDevice("host");
    const order: string[] = [];
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        order.push("timer");
        resolve();
      }, 0),
    );
    const fence = device.fence().then(() => order.push("fence"));
    await Promise.all([timer, fence]);
    expect(order).toEqual(["fence", "timer"]);
    device.destroy();
  });

  it("throws INVALID_ARGUMENT for a bad stream argument, synchronously", () => {
    const device = openDevice("host");
    for (const bad of ["0", 0, 1.5, null, {}, -1n, 2n ** 64n]) {
      const error = expectNativeError(() => device.fence(bad as never), "INVALID_ARGUMENT");
      expect(Object.is(error.value, bad)).toBe(true);
      expect(error.message).toMatch(/stream/);
    }
    // The host backend has no streams besides the default.
    expectNativeError(() => device.fence(7n), "INVALID_ARGUMENT");
    device.destroy();
  });

  it("throws DISPOSED on a destroyed device", () => {
    const device = openDevice("host");
    device.destroy();
    const error = expectNativeError(() => device.fence(), "DISPOSED");
    expect(error.message).toMatch(/fence/);
    // A destroyed device is reported before a bad argument.
    expectNativeError(() => device.fence("bad" as never), "DISPOSED");
  });

  it("settles from a native thread through the thread-safe path (simulated GPU)", async () => {
    const device = openDevice("host");
    setHostFenceDelay(60);
    const start = performance.now();
    let settled = false;
    const fence = device.fence().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    await fence;
    expect(settled).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(50);
    device.destroy();
  });

  it("many pending fences all settle, in any order of creation", async () => {
    const device = openDevice("host");
    setHostFenceDelay(5);
    const fences = Array.from({ length: 200 }, () => device.fence());
    expect(await Promise.all(fences)).toHaveLength(200);
    device.destroy();
  });

  it("a fence pending when its device is destroyed still settles", async () => {
    const device = openDevice("host");
    setHostFenceDelay(20);
    const fence = device.fence();
    device.destroy();
    expect(await fence).toBeUndefined();
  });

  it("rejects with DEVICE_NOT_FOUND and the native error name when the GPU fails", async () => {
    const device = openDevice("host");
    setHostFenceDelay(5, "cudaErrorLaunchFailure");
    const error = (await device.fence().then(
      () => undefined,
      (e: unknown) => e,
    )) as NativeError;
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("DEVICE_NOT_FOUND");
    expect(error.value).toBe("cudaErrorLaunchFailure");
    expect(error.message).toMatch(/fence failed/);
    device.destroy();
  });

  it("setHostFenceDelay checks its arguments", () => {
    expectNativeError(() => setHostFenceDelay(-1), "INVALID_ARGUMENT");
    expectNativeError(() => setHostFenceDelay(1, 5 as never), "INVALID_ARGUMENT");
  });
});
