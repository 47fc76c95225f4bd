import { describe, expect, it } from "vitest";
import { liveNativeBuffers, openDevice } from "../src/index.js";

describe("liveNativeBuffers", () => {
  it("counts buffers and bytes from allocation until destroy, exactly once", () => {
    const device = openDevice("host");
    const before = liveNativeBuffers();
    const a = device.allocBuffer(4096);
    const b = device.allocBuffer(100);
    expect(liveNativeBuffers()).toEqual({ count: before.count + 2, bytes: before.bytes + 4196 });
    a.destroy();
    a.destroy();
    expect(liveNativeBuffers()).toEqual({ count: before.count + 1, bytes: before.bytes + 100 });
    device.destroy(); // live buffers keep their backend: still counted
    expect(liveNativeBuffers().count).toBe(before.count + 1);
    b.destroy();
    expect(liveNativeBuffers()).toEqual(before);
  });
});
