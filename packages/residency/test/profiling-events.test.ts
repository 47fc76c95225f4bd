import { afterEach, describe, expect, it, vi } from "vitest";
import {
  formatRegisterLine,
  type ResidencyEvent,
  ResidencySet,
  resetResidencyEnvCache,
} from "../src/index.js";
import { buf, device, FakeNativeSet, keyOf } from "./fake-native.js";

afterEach(() => {
  delete process.env.MLX_PROFILE_RESIDENCY;
  resetResidencyEnvCache();
  vi.restoreAllMocks();
});

describe("MLX_PROFILE_RESIDENCY output", () => {
  it("prints one stderr line per registration, duplicates included, before the native add", () => {
    process.env.MLX_PROFILE_RESIDENCY = "1";
    resetResidencyEnvCache();
    const log: string[] = [];
    const native = new FakeNativeSet(log);
    const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      log.push(`stderr ${String(chunk)}`);
      return true;
    });
    const set = new ResidencySet(native, { owner: device("gpu0"), keyOf, label: "gpu0" });
    set.register(buf(0x7f00));
    set.register(buf(0x7f00));
    expect(write).toHaveBeenCalledTimes(2);
    expect(log).toEqual([
      "stderr [mlx residency] register #1 key=0x7f00 duplicate=false size=1 label=gpu0\n",
      "native.add 0x7f00",
      "native.commit",
      "stderr [mlx residency] register #2 key=0x7f00 duplicate=true size=1 label=gpu0\n",
    ]);
  });

  it("prints nothing when the variable is unset", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const set = new ResidencySet(new FakeNativeSet(), { owner: device("gpu0"), keyOf });
    set.register(buf(1));
    expect(write).not.toHaveBeenCalled();
  });

  it("an injected writer and profile:true work without the environment", () => {
    const lines: string[] = [];
    const set = new ResidencySet(new FakeNativeSet(), {
      owner: device("gpu0"),
      keyOf,
      profile: true,
      profileWriter: (line) => lines.push(line),
    });
    set.stageAdd(buf(0xabc));
    set.stageAdd(buf(0xdef));
    set.stageAdd(buf(0xabc));
    expect(lines).toEqual([
      "[mlx residency] register #1 key=0xabc duplicate=false size=1",
      "[mlx residency] register #2 key=0xdef duplicate=false size=2",
      "[mlx residency] register #3 key=0xabc duplicate=true size=2",
    ]);
  });

  it("profile:false silences it even when the variable is set", () => {
    process.env.MLX_PROFILE_RESIDENCY = "1";
    resetResidencyEnvCache();
    const lines: string[] = [];
    const set = new ResidencySet(new FakeNativeSet(), {
      owner: device("gpu0"),
      keyOf,
      profile: false,
      profileWriter: (line) => lines.push(line),
    });
    set.register(buf(1));
    expect(lines).toEqual([]);
  });

  it("formats the line from the event's facts", () => {
    expect(
      formatRegisterLine({ kind: "register", count: 12, key: 255n, duplicate: true, size: 3 }),
    ).toBe("[mlx residency] register #12 key=0xff duplicate=true size=3");
  });
});

describe("event hook", () => {
  function withEvents(label?: string) {
    const events: ResidencyEvent[] = [];
    const native = new FakeNativeSet();
    const set = new ResidencySet(native, {
      owner: device("gpu0"),
      keyOf,
      profile: false,
      onEvent: (e) => events.push(e),
      ...(label === undefined ? {} : { label }),
    });
    return { events, native, set };
  }

  it("reports registrations with count, key and duplicate, plus commits", () => {
    const { events, set } = withEvents("L");
    set.stageAdd(buf(1));
    set.stageAdd(buf(2));
    set.stageAdd(buf(1));
    set.commit();
    expect(events).toEqual([
      { kind: "register", count: 1, key: 1n, duplicate: false, size: 1, label: "L" },
      { kind: "register", count: 2, key: 2n, duplicate: false, size: 2, label: "L" },
      { kind: "register", count: 3, key: 1n, duplicate: true, size: 2, label: "L" },
      { kind: "commit", added: 2, removed: 0, commitCount: 1, label: "L" },
    ]);
  });

  it("reports removals, removeAll and the dispose path; no label key when unlabelled", () => {
    const { events, set } = withEvents();
    set.register(buf(1));
    set.register(buf(2));
    events.length = 0;
    set.stageRemove(buf(1));
    set.stageRemove(buf(9));
    set.commit();
    set.dispose();
    expect(events).toEqual([
      { kind: "remove", key: 1n, member: true },
      { kind: "remove", key: 9n, member: false },
      { kind: "commit", added: 0, removed: 1, commitCount: 3 },
      { kind: "removeAll", removed: 1 },
    ]);
  });

  it("a hook that throws never aborts a change: caught, counted, warned once", async () => {
    const native = new FakeNativeSet();
    const seen: ResidencyEvent[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    const set = new ResidencySet(native, {
      owner: device("gpu0"),
      keyOf,
      profile: false,
      onEvent: (e) => {
        seen.push(e);
        throw new Error("hook");
      },
    });
    try {
      expect(set.register(buf(1))).toBe(true);
      expect(set.committedSize).toBe(1);
      expect(native.allocationCount).toBe(1);
      expect(set.stageRemove(buf(1))).toBe(true);
      set.commit();
      expect(set.size).toBe(0);
      expect(native.allocationCount).toBe(0);
      expect(seen.map((e) => e.kind)).toEqual(["register", "commit", "remove", "commit"]);
      expect(set.hookErrorCount).toBe(4);
      expect((set.lastHookError as Error).message).toBe("hook");
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain("a residency hook threw (hook)");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
