import { MlxError } from "@mlx/errors";
import { describe, expect, it } from "vitest";
import { checkSameResidency, describeOwner, ResidencyBinding, ResidencySet } from "../src/index.js";
import { buf, device, type FakeBuffer, FakeNativeSet, keyOf } from "./fake-native.js";

function setFor(owner: object, label?: string) {
  const native = new FakeNativeSet();
  const set = new ResidencySet<FakeBuffer>(native, {
    owner,
    keyOf,
    profile: false,
    ownerOf: (b) => b.device,
    ...(label === undefined ? {} : { label }),
  });
  return { native, set };
}

function caught(fn: () => unknown): MlxError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MlxError);
    return e as MlxError;
  }
  throw new Error("expected a throw");
}

describe("sameOwner", () => {
  it("compares owners of sets, or a set with an owner object", () => {
    const gpu0 = device("gpu0");
    const a = setFor(gpu0).set;
    const a2 = setFor(gpu0).set;
    const b = setFor(device("gpu1")).set;
    expect(a.sameOwner(a2)).toBe(true);
    expect(a.sameOwner(gpu0)).toBe(true);
    expect(a.sameOwner(b)).toBe(false);
    expect(a.sameOwner(device("gpu0"))).toBe(false); // identity, not name
  });
});

describe("mixing devices in one pool", () => {
  it("captures the first set, accepts it again, and devices without residency", () => {
    const binding = new ResidencyBinding<ResidencySet<FakeBuffer>>({ enabled: true });
    const { set } = setFor(device("gpu0"));
    expect(binding.bind(undefined)).toBeUndefined();
    expect(binding.set).toBeUndefined();
    expect(binding.bind(set)).toBe(set);
    expect(binding.bind(set)).toBe(set);
    expect(binding.bind(null)).toBeUndefined();
    expect(binding.set).toBe(set);
    binding.forget();
    expect(binding.set).toBeUndefined();
  });

  it("a second residency set is INVALID_ARGUMENT naming the caller and both sets; nothing changes", () => {
    const binding = new ResidencyBinding<ResidencySet<FakeBuffer>>({
      enabled: true,
      context: "MlxBufferPool",
    });
    const first = setFor(device("Apple M3 Max"));
    const second = setFor(device("host"));
    binding.bind(first.set)?.register(buf(1, first.set.owner));
    const err = caught(() => binding.bind(second.set)?.register(buf(2, second.set.owner)));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toBe(
      "MlxBufferPool: cannot mix devices with different residency sets (first: Apple M3 Max, now: host)",
    );
    expect(binding.set).toBe(first.set);
    expect(second.native.totalCalls).toBe(0);
    expect(second.set.size).toBe(0);
    expect(first.set.size).toBe(1);
  });

  it("checkSameResidency is the same rule as a function, with a context", () => {
    const a = setFor(device("a"), "set-a").set;
    const b = setFor(device("b"), "set-b").set;
    expect(checkSameResidency(undefined, a)).toBe(a);
    expect(checkSameResidency(a, undefined)).toBe(a);
    expect(checkSameResidency(undefined, null)).toBeUndefined();
    expect(checkSameResidency(a, a)).toBe(a);
    const err = caught(() => checkSameResidency(a, b, "MyPool"));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toBe(
      "MyPool: cannot mix devices with different residency sets (first: set-a, now: set-b)",
    );
  });
});

describe("registering a buffer of another device", () => {
  it("is INVALID_ARGUMENT naming both devices, and leaves the set exactly as it was", () => {
    const gpu0 = device("gpu0");
    const { native, set } = setFor(gpu0);
    set.register(buf(1, gpu0));
    set.stageAdd(buf(2, gpu0));
    const before = { size: set.size, staged: set.stagedCount, commits: set.commitCount };
    const callsBefore = native.totalCalls;
    for (const attempt of [
      () => set.stageAdd(buf(0x30, device("gpu1"))),
      () => set.register(buf(0x30, device("gpu1"))),
    ]) {
      const err = caught(attempt);
      expect(err.code).toBe("INVALID_ARGUMENT");
      expect(err.message).toContain("gpu1");
      expect(err.message).toContain("gpu0");
      expect(err.message).toContain("0x30");
    }
    expect({ size: set.size, staged: set.stagedCount, commits: set.commitCount }).toEqual(before);
    expect(native.totalCalls).toBe(callsBefore);
    expect(set.hasKey(0x30n)).toBe(false);
  });

  it("a buffer whose owner cannot be told is accepted", () => {
    const { set } = setFor(device("gpu0"));
    expect(set.register(buf(1))).toBe(true);
  });
});

describe("describeOwner", () => {
  it("uses a string name, else the class name", () => {
    class MetalDevice {}
    expect(describeOwner({ name: "gpu7" })).toBe("gpu7");
    expect(describeOwner(new MetalDevice())).toBe("<MetalDevice>");
    expect(describeOwner(Object.create(null))).toBe("<object>");
  });
});
