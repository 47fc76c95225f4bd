import { describe, expect, it } from "vitest";
import { InMemoryNativeResidencySet, ResidencySet } from "../src/index.js";

describe("InMemoryNativeResidencySet", () => {
  it("stages add/remove/removeAll until commit, like Metal", () => {
    const native = new InMemoryNativeResidencySet<object>();
    const a = {};
    const b = {};
    native.add(a);
    native.add(b);
    expect(native.allocationCount).toBe(0);
    native.commit();
    expect(native.allocationCount).toBe(2);
    native.remove(a);
    expect(native.contains(a)).toBe(true);
    native.commit();
    expect(native.contains(a)).toBe(false);
    native.removeAll();
    native.add(a); // after removeAll in the same batch: survives
    native.commit();
    expect(native.contains(a)).toBe(true);
    expect(native.contains(b)).toBe(false);
    expect(native.commitCount).toBe(3);
  });

  it("tracks residency requests and refuses use after destroy", () => {
    const native = new InMemoryNativeResidencySet<object>();
    native.requestResidency();
    expect(native.isResident).toBe(true);
    native.endResidency();
    expect(native.isResident).toBe(false);
    native.destroy();
    expect(native.isDestroyed).toBe(true);
    expect(() => native.add({})).toThrow(/after destroy/);
  });

  it("serves as the native side of a ResidencySet", () => {
    const native = new InMemoryNativeResidencySet<{ address: bigint }>();
    const set = new ResidencySet(native, {
      owner: {},
      keyOf: (b) => b.address,
      profile: false,
    });
    for (let i = 1n; i <= 4n; i++) set.stageAdd({ address: i });
    set.commit();
    expect(set.allocationCount).toBe(4);
    expect(native.commitCount).toBe(1);
    set.dispose();
    expect(native.isDestroyed).toBe(true);
  });
});
