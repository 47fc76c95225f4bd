import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type NativeDevice, openDevice } from "../src/index.js";
import { expectNativeError } from "./helpers.js";

describe("host residency sets", () => {
  let device: NativeDevice;
  beforeEach(() => {
    device = openDevice("host");
  });
  afterEach(() => device.destroy());

  it("starts empty with its label and device", () => {
    const set = device.newResidencySet("scratch", 16);
    expect(set.label).toBe("scratch");
    expect(set.deviceId).toBe(device.id);
    expect(set.allocationCount).toBe(0);
    expect(set.commitCount).toBe(0);
    expect(set.residencyRequested).toBe(false);
    expect(set.destroyed).toBe(false);
    set.destroy();
    expect(device.newResidencySet().label).toBe("mlx-residency-set");
  });

  it("tracks membership: add is idempotent, remove of a non-member changes nothing", () => {
    const set = device.newResidencySet("members");
    const [a, b] = [device.allocBuffer(8), device.allocBuffer(8)];
    set.add(a);
    set.add(a);
    expect(set.allocationCount).toBe(1);
    expect(set.contains(a)).toBe(true);
    expect(set.contains(b)).toBe(false);
    set.remove(b);
    expect(set.allocationCount).toBe(1);
    set.add(b);
    expect(set.allocationCount).toBe(2);
    set.remove(a);
    expect(set.contains(a)).toBe(false);
    expect(set.allocationCount).toBe(1);
    set.removeAll();
    expect(set.allocationCount).toBe(0);
    expect(set.contains(b)).toBe(false);
    for (const buffer of [a, b]) buffer.destroy();
    set.destroy();
  });

  it("counts every commit, including one of an empty set", () => {
    const set = device.newResidencySet();
    set.commit();
    const buffer = device.allocBuffer(64);
    set.add(buffer);
    set.commit();
    set.commit();
    expect(set.commitCount).toBe(3);
    expect(set.allocationCount).toBe(1);
    buffer.destroy();
    set.destroy();
  });

  it("requests and ends residency", () => {
    const set = device.newResidencySet();
    set.requestResidency();
    expect(set.residencyRequested).toBe(true);
    set.endResidency();
    expect(set.residencyRequested).toBe(false);
    set.destroy();
  });

  it("a destroyed buffer leaves every set it was in", () => {
    const [first, second] = [device.newResidencySet("1"), device.newResidencySet("2")];
    const buffer = device.allocBuffer(32);
    const keep = device.allocBuffer(32);
    first.add(buffer);
    second.add(buffer);
    first.add(keep);
    buffer.destroy();
    expect(first.allocationCount).toBe(1);
    expect(second.allocationCount).toBe(0);
    expect(first.contains(buffer)).toBe(false);
    expect(first.contains(keep)).toBe(true);
    keep.destroy();
    first.destroy();
    second.destroy();
  });

  it("refuses a buffer of another device with INVALID_ARGUMENT naming both devices", () => {
    const other = openDevice("host");
    const set = device.newResidencySet("mine");
    const foreign = other.allocBuffer(8);
    const error = expectNativeError(() => set.add(foreign), "INVALID_ARGUMENT", { is: foreign });
    expect(error.message).toContain(`device ${other.id}`);
    expect(error.message).toContain(`device ${device.id}`);
    expectNativeError(() => set.remove(foreign), "INVALID_ARGUMENT", { is: foreign });
    expect(set.contains(foreign)).toBe(false);
    expect(set.allocationCount).toBe(0);
    foreign.destroy();
    other.destroy();
    set.destroy();
  });

  it("refuses a destroyed buffer with DISPOSED", () => {
    const set = device.newResidencySet();
    const buffer = device.allocBuffer(8);
    buffer.destroy();
    expectNativeError(() => set.add(buffer), "DISPOSED", { is: buffer });
    expectNativeError(() => set.remove(buffer), "DISPOSED", { is: buffer });
    expect(set.contains(buffer)).toBe(false);
    set.destroy();
  });

  it("refuses things that are not buffers with INVALID_ARGUMENT", () => {
    const set = device.newResidencySet();
    for (const notBuffer of [undefined, 1, {}, new Uint8Array(4)]) {
      expectNativeError(() => set.add(notBuffer as never), "INVALID_ARGUMENT", { is: notBuffer });
      expectNativeError(() => set.contains(notBuffer as never), "INVALID_ARGUMENT");
    }
    set.destroy();
  });

  it("a destroyed set refuses every operation with DISPOSED; destroy twice is harmless", () => {
    const set = device.newResidencySet("gone");
    const buffer = device.allocBuffer(8);
    set.add(buffer);
    set.requestResidency();
    set.destroy();
    expect(set.destroyed).toBe(true);
    expect(set.allocationCount).toBe(0);
    expect(buffer.destroyed).toBe(false);
    for (const use of [
      () => set.add(buffer),
      () => set.remove(buffer),
      () => set.removeAll(),
      () => set.commit(),
      () => set.requestResidency(),
      () => set.endResidency(),
    ]) {
      const error = expectNativeError(use, "DISPOSED", { is: set });
      expect(error.message).toContain('"gone"');
    }
    expect(() => set.destroy()).not.toThrow();
    buffer.destroy();
  });

  it("a buffer outliving its set is unaffected, and freeing it later is safe", () => {
    const set = device.newResidencySet();
    const buffer = device.allocBuffer(8);
    set.add(buffer);
    set.destroy();
    buffer.write(0, new Uint8Array([5]));
    expect(buffer.read(0, 1)[0]).toBe(5);
    buffer.destroy();
  });
});
