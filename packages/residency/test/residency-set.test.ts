import { MlxError } from "@mlx/errors";
import { describe, expect, it } from "vitest";
import { ResidencySet, type ResidencySetOptions } from "../src/index.js";
import { buf, device, type FakeBuffer, FakeNativeSet, keyOf } from "./fake-native.js";

function make(options: Partial<ResidencySetOptions<FakeBuffer>> = {}) {
  const native = new FakeNativeSet();
  const owner = device("gpu0");
  const set = new ResidencySet(native, { owner, keyOf, profile: false, ...options });
  return { native, set, owner };
}

/** Everything observable about a set, to compare before and after a failing call. */
function snapshot(set: ResidencySet<FakeBuffer>, native: FakeNativeSet) {
  return {
    size: set.size,
    committed: set.committedSize,
    staged: set.stagedCount,
    commits: set.commitCount,
    calls: { ...native.calls },
    members: [...native.members].map((b) => b.address),
    pending: native.pendingCount,
  };
}

function expectMlxError(fn: () => unknown, code: string, message?: RegExp): MlxError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(MlxError);
  const err = caught as MlxError;
  expect(err.code).toBe(code);
  if (message) expect(err.message).toMatch(message);
  return err;
}

describe("batching", () => {
  it("N staged adds make exactly one native commit", () => {
    const { native, set } = make();
    for (let i = 1; i <= 5; i++) expect(set.stageAdd(buf(i * 0x1000))).toBe(true);
    expect(native.calls.add).toBe(0); // staged in JS until commit
    expect(set.size).toBe(5);
    expect(set.stagedCount).toBe(5);
    expect(set.commit()).toBe(true);
    expect(native.calls.add).toBe(5);
    expect(native.calls.commit).toBe(1);
    expect(set.commitCount).toBe(1);
    expect(set.allocationCount).toBe(5);
    expect(set.stagedCount).toBe(0);
  });

  it("an empty batch makes no commit", () => {
    const { native, set } = make();
    expect(set.commit()).toBe(false);
    expect(native.totalCalls).toBe(0);
    expect(set.commitCount).toBe(0);
  });

  it("a batch of only duplicates makes no commit", () => {
    const { native, set } = make();
    set.register(buf(1));
    expect(set.stageAdd(buf(1))).toBe(false);
    expect(set.commit()).toBe(false);
    expect(native.calls.commit).toBe(1);
  });

  it("removals and additions in one batch share one commit, removals first", () => {
    const { native, set } = make();
    const a = buf(0xa);
    const b = buf(0xb);
    set.register(a);
    set.stageRemove(a);
    set.stageAdd(b);
    native.log.length = 0;
    expect(set.commit()).toBe(true);
    expect(native.log).toEqual(["native.remove 0xa", "native.add 0xb", "native.commit"]);
    expect(set.commitCount).toBe(2);
    expect(native.members.has(b)).toBe(true);
    expect(native.members.has(a)).toBe(false);
  });

  it("register is stageAdd plus one commit, and flushes anything staged before", () => {
    const { native, set } = make();
    set.stageAdd(buf(1));
    expect(set.register(buf(2))).toBe(true);
    expect(native.calls.commit).toBe(1);
    expect(native.calls.add).toBe(2);
    expect(set.stagedCount).toBe(0);
  });
});

describe("deduplication by key", () => {
  it("registration is idempotent by key and makes no native call on a duplicate", () => {
    const { native, set } = make();
    expect(set.register(buf(0x7f00))).toBe(true);
    const before = native.totalCalls;
    expect(set.register(buf(0x7f00))).toBe(false); // another wrapper of the same memory
    expect(set.register(buf(0x7f00))).toBe(false);
    expect(native.totalCalls).toBe(before);
    expect(set.size).toBe(1);
    expect(set.commitCount).toBe(1);
    expect(native.allocationCount).toBe(1);
  });

  it("an already staged key is a duplicate", () => {
    const { native, set } = make();
    expect(set.stageAdd(buf(3))).toBe(true);
    expect(set.stageAdd(buf(3))).toBe(false);
    set.commit();
    expect(native.calls.add).toBe(1);
  });

  it("accepts an explicit key instead of keyOf", () => {
    const native = new FakeNativeSet();
    const set = new ResidencySet<FakeBuffer>(native, { owner: device("d"), profile: false });
    expect(set.register(buf(9), 0x99n)).toBe(true);
    expect(set.hasKey(0x99n)).toBe(true);
    expect(set.has(buf(0), 0x99n)).toBe(true);
    expectMlxError(() => set.stageAdd(buf(1)), "INVALID_ARGUMENT", /needs a key/);
  });

  it("rejects a key that is not a bigint, unchanged", () => {
    const { native, set } = make({ keyOf: () => 12 as unknown as bigint });
    const before = snapshot(set, native);
    expectMlxError(() => set.stageAdd(buf(1)), "INVALID_ARGUMENT", /bigint.*12/);
    expectMlxError(() => set.hasKey(1 as unknown as bigint), "INVALID_ARGUMENT");
    expect(snapshot(set, native)).toEqual(before);
  });

  it("has/hasKey see staged additions and hide staged removals", () => {
    const { set } = make();
    const a = buf(1);
    set.stageAdd(a);
    expect(set.has(a)).toBe(true);
    set.commit();
    set.stageRemove(a);
    expect(set.hasKey(1n)).toBe(false);
    expect(set.size).toBe(0);
    expect(set.committedSize).toBe(1);
  });

  it("re-adding the same object before its removal commits cancels the removal", () => {
    const { native, set } = make();
    const a = buf(1);
    set.register(a);
    expect(set.stageRemove(a)).toBe(true);
    expect(set.stageAdd(a)).toBe(true);
    expect(set.stagedCount).toBe(0);
    expect(set.commit()).toBe(false);
    expect(native.calls.remove).toBe(0);
    expect(native.members.has(a)).toBe(true);
  });

  it("a new buffer at an address staged for removal replaces the old one", () => {
    const { native, set } = make();
    const old = buf(0x40);
    const fresh = buf(0x40);
    set.register(old);
    set.stageRemove(old);
    expect(set.stageAdd(fresh)).toBe(true);
    expect(set.size).toBe(1);
    set.commit();
    // Identity, not structure: the two buffers are structurally equal.
    expect(native.members.has(fresh)).toBe(true);
    expect(native.members.has(old)).toBe(false);
    expect(native.allocationCount).toBe(1);
    expect(set.size).toBe(1);
  });
});

describe("removal", () => {
  it("stageRemove of a non-member is false and stages nothing", () => {
    const { native, set } = make();
    expect(set.stageRemove(buf(5))).toBe(false);
    expect(set.stagedCount).toBe(0);
    expect(set.commit()).toBe(false);
    expect(native.totalCalls).toBe(0);
  });

  it("removing a staged, uncommitted addition needs no native call", () => {
    const { native, set } = make();
    set.stageAdd(buf(5));
    expect(set.stageRemove(buf(5))).toBe(true);
    expect(set.size).toBe(0);
    expect(set.commit()).toBe(false);
    expect(native.totalCalls).toBe(0);
  });

  it("clear path: stageRemove of every free buffer, then one commit", () => {
    const { native, set } = make();
    const bufs = [1, 2, 3, 4].map((i) => buf(i));
    for (const b of bufs) set.stageAdd(b);
    set.commit();
    for (const b of bufs.slice(0, 3)) expect(set.stageRemove(b)).toBe(true);
    expect(set.commit()).toBe(true);
    expect(native.calls.remove).toBe(3);
    expect(native.calls.commit).toBe(2);
    expect([...native.members]).toEqual([bufs[3]]);
    expect(set.allocationCount).toBe(1);
  });

  it("removeAllAndCommit removes everything with one removeAll and one commit", () => {
    const { native, set } = make();
    for (let i = 1; i <= 3; i++) set.stageAdd(buf(i));
    set.commit();
    set.stageAdd(buf(99)); // staged only: dropped without a native call
    expect(set.removeAllAndCommit()).toBe(4);
    expect(native.calls.removeAll).toBe(1);
    expect(native.calls.commit).toBe(2);
    expect(native.calls.add).toBe(3);
    expect(set.size).toBe(0);
    expect(set.stagedCount).toBe(0);
    expect(set.allocationCount).toBe(0);
  });

  it("removeAllAndCommit on an empty set makes no native call", () => {
    const { native, set } = make();
    expect(set.removeAllAndCommit()).toBe(0);
    set.stageAdd(buf(1));
    expect(set.removeAllAndCommit()).toBe(1);
    expect(native.totalCalls).toBe(0);
    expect(set.commitCount).toBe(0);
  });

  it("discardStaged drops the batch without native calls", () => {
    const { native, set } = make();
    set.register(buf(1));
    set.stageAdd(buf(2));
    set.stageRemove(buf(1));
    expect(set.discardStaged()).toBe(2);
    expect(set.size).toBe(1);
    expect(set.commit()).toBe(false);
    expect(native.calls.commit).toBe(1);
  });
});

describe("dispose", () => {
  it("removes every allocation with one commit, ends residency, destroys the native set", () => {
    const { native, set } = make();
    set.requestResidency();
    for (let i = 1; i <= 3; i++) set.stageAdd(buf(i));
    set.commit();
    native.log.length = 0;
    set.dispose();
    expect(native.log).toEqual([
      "native.removeAll",
      "native.commit",
      "native.endResidency",
      "native.destroy",
    ]);
    expect(set.disposed).toBe(true);
    expect(set.size).toBe(0);
    expect(set.commitCount).toBe(2);
  });

  it("is idempotent", () => {
    const { native, set } = make();
    set.register(buf(1));
    set.dispose();
    set.dispose();
    set[Symbol.dispose]();
    expect(native.calls.destroy).toBe(1);
    expect(native.calls.removeAll).toBe(1);
  });

  it("an empty set disposes with no commit; destroyNative:false keeps the native set", () => {
    const { native, set } = make({ destroyNative: false });
    set.dispose();
    expect(native.totalCalls).toBe(0);
    expect(native.destroyed).toBe(false);
  });

  it("every use after dispose is DISPOSED", () => {
    const { set } = make();
    set.dispose();
    const uses: Array<[string, () => unknown]> = [
      ["stageAdd", () => set.stageAdd(buf(1))],
      ["stageRemove", () => set.stageRemove(buf(1))],
      ["register", () => set.register(buf(1))],
      ["commit", () => set.commit()],
      ["removeAllAndCommit", () => set.removeAllAndCommit()],
      ["has", () => set.has(buf(1))],
      ["hasKey", () => set.hasKey(1n)],
      ["discardStaged", () => set.discardStaged()],
      ["requestResidency", () => set.requestResidency()],
      ["endResidency", () => set.endResidency()],
      ["allocationCount", () => set.allocationCount],
    ];
    for (const [name, use] of uses) {
      const err = expectMlxError(use, "DISPOSED");
      expect(err.message).toContain(`${name}()`);
      expect(err.message).toContain("gpu0");
    }
    expect(set.commitCount).toBe(0); // plain counters stay readable
  });

  it("a failing native call still leaves the set disposed and destroyed", () => {
    const { native, set } = make();
    set.register(buf(1));
    native.failOn = { method: "removeAll", nth: 1 };
    expectMlxError(() => set.dispose(), "RESIDENCY", /removeAll/);
    expect(set.disposed).toBe(true);
    expect(native.destroyed).toBe(true);
  });
});

describe("native failures", () => {
  it("a failing add during commit is undone; the batch stays staged and can be retried", () => {
    const { native, set } = make();
    set.register(buf(1));
    set.stageRemove(buf(1));
    set.stageAdd(buf(2));
    set.stageAdd(buf(3));
    const before = snapshot(set, native);
    native.failOn = { method: "add", nth: 2 };
    const err = expectMlxError(() => set.commit(), "RESIDENCY", /2 addition\(s\) and 1 removal/);
    expect(err.cause).toBeInstanceOf(Error);
    expect(set.size).toBe(before.size);
    expect(set.stagedCount).toBe(before.staged);
    expect(set.commitCount).toBe(before.commits);
    expect(native.commitCount).toBe(1);
    expect(set.commit()).toBe(true);
    expect([...native.members].map((b) => b.address).sort()).toEqual([2n, 3n]);
    expect(set.commitCount).toBe(2);
  });

  it("a failing native commit changes no counter of the wrapper", () => {
    const { native, set } = make();
    set.stageAdd(buf(1));
    native.failOn = { method: "commit", nth: 1 };
    expectMlxError(() => set.register(buf(2)), "RESIDENCY");
    expect(set.commitCount).toBe(0);
    expect(set.committedSize).toBe(0);
    expect(set.stagedCount).toBe(2);
  });
});

describe("construction and residency requests", () => {
  it("forwards requestResidency and endResidency", () => {
    const { native, set } = make();
    set.requestResidency();
    expect(native.resident).toBe(true);
    set.endResidency();
    expect(native.resident).toBe(false);
    set.dispose();
    expect(native.calls.endResidency).toBe(1); // not requested any more: not ended again
  });

  it("rejects a native set missing a method and an owner that is not an object", () => {
    const broken = { ...new FakeNativeSet(), commit: undefined } as unknown as FakeNativeSet;
    expectMlxError(
      () => new ResidencySet(broken, { owner: {}, keyOf }),
      "INVALID_ARGUMENT",
      /no add\(\) method|no commit\(\) method/,
    );
    expectMlxError(
      () => new ResidencySet(new FakeNativeSet(), { owner: "gpu" as unknown as object, keyOf }),
      "INVALID_ARGUMENT",
      /owner must be an object.*"gpu"/,
    );
  });

  it("names itself by label, else owner name, else a serial", () => {
    expect(make({ label: "lbl" }).set.name).toBe("lbl");
    expect(make().set.name).toBe("gpu0");
    expect(make({ owner: {} }).set.name).toMatch(/^residency-set#\d+$/);
  });
});
