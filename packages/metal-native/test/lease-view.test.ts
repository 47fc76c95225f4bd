// NativeBuffer.leaseView: one lease's own view, detached by endLeaseView or destroy.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { liveNativeBuffers, type NativeDevice, openDevice } from "../src/index.js";
import { expectNativeError } from "./helpers.js";

describe("leaseView", () => {
  let device: NativeDevice;
  beforeEach(() => {
    device = openDevice("host");
  });
  afterEach(() => device.destroy());

  it("is exactly the asked length over the buffer's memory, and endLeaseView detaches it", () => {
    const buffer = device.allocBuffer(4096);
    const whole = new Uint8Array(buffer.contents());
    const lease = buffer.leaseView(100);
    expect(lease.byteLength).toBe(100);
    const view = new Uint8Array(lease);
    view[7] = 42;
    expect(whole[7]).toBe(42);
    buffer.endLeaseView();
    expect(view.length).toBe(0);
    expect(lease.byteLength).toBe(0);
    expect(whole.length).toBe(4096);
    buffer.endLeaseView();
    buffer.destroy();
  });

  it("a new lease view detaches the previous one; destroy detaches the current one", () => {
    const buffer = device.allocBuffer(256);
    const first = new Uint8Array(buffer.leaseView(16));
    const second = new Uint8Array(buffer.leaseView(32));
    expect(first.length).toBe(0);
    expect(second.length).toBe(32);
    buffer.destroy();
    expect(second.length).toBe(0);
  });

  it("refuses a length past the buffer, a bad length, and a destroyed buffer", () => {
    const live = liveNativeBuffers().count;
    const buffer = device.allocBuffer(64);
    expectNativeError(() => buffer.leaseView(65), "INVALID_ARGUMENT");
    expectNativeError(() => buffer.leaseView(-1), "INVALID_ARGUMENT");
    expectNativeError(() => buffer.leaseView(Number.NaN), "INVALID_ARGUMENT");
    buffer.destroy();
    expectNativeError(() => buffer.leaseView(8), "DISPOSED");
    expect(liveNativeBuffers().count).toBe(live);
  });
});
