import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { openDevice } from "../src/index.js";
import { expectNativeError } from "./helpers.js";

// A real collector, to exercise the finalizers (the safety net behind destroy()).
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

async function collectRepeatedly(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("lifetimes", () => {
  it("destroying a device keeps its live buffers and sets usable", () => {
    const device = openDevice("host");
    const buffer = device.allocBuffer(64);
    const set = device.newResidencySet();
    set.add(buffer);
    device.destroy();
    buffer.write(0, new Uint8Array([7]));
    expect(new Uint8Array(buffer.contents())[0]).toBe(7);
    set.commit();
    expect(set.commitCount).toBe(1);
    expectNativeError(() => device.allocBuffer(8), "DISPOSED");
    buffer.destroy();
    set.destroy();
  });

  it("an ArrayBuffer from contents() keeps memory alive after its buffer object is collected", async () => {
    const device = openDevice("host");
    let arrayBuffer: ArrayBuffer | undefined = (() => {
      const buffer = device.allocBuffer(1 << 16);
      buffer.write(100, new Uint8Array([1, 2, 3]));
      return buffer.contents();
    })();
    await collectRepeatedly();
    const view = new Uint8Array(arrayBuffer);
    expect(view.length).toBe(1 << 16);
    expect([...view.subarray(100, 103)]).toEqual([1, 2, 3]);
    view.fill(9); // writes must still land in live memory
    arrayBuffer = undefined;
    await collectRepeatedly();
    device.destroy();
  });

  it("collects loose buffers (destroyed or not, with or without contents) without crashing", async () => {
    const device = openDevice("host");
    const set = device.newResidencySet();
    for (let i = 0; i < 200; i++) {
      const buffer = device.allocBuffer(i % 2 === 0 ? 4096 : 1 << 20);
      if (i % 3 === 0) buffer.contents();
      if (i % 4 === 0) set.add(buffer);
      if (i % 5 === 0) buffer.destroy();
    }
    await collectRepeatedly();
    // Collected members left the set through the native record, not through JavaScript.
    expect(set.allocationCount).toBeLessThan(40); // 40 were added and not destroyed
    set.destroy();
    device.destroy();
  });

  it("a detached ArrayBuffer's finalizer does not free the memory a second time", async () => {
    const device = openDevice("host");
    for (let i = 0; i < 100; i++) {
      const buffer = device.allocBuffer(8192);
      buffer.contents();
      buffer.destroy();
    }
    await collectRepeatedly();
    // Reaching here without an abort is the check; the allocator still works.
    const after = device.allocBuffer(8);
    expect(after.read()).toEqual(new Uint8Array(8));
    after.destroy();
    device.destroy();
  });
});
