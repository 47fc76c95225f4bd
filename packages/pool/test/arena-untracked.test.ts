// arena.untrackedSlabs: every slab allocated with Metal's hazard tracking off. The option is
// checked on every backend; what Metal is asked for is checked under the fake Metal runtime.
import { liveNativeBuffers } from "@mlx/metal-native";
import { describe, expect, it } from "vitest";
import { fakeMetal, hazardTrackingOf } from "../../metal-native/test/fake-metal/report.js";
import { type ArenaOptions, DType, type MlxBuffer, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach, expectMlxError } from "./helpers.js";
import { backendUnderTest, fakeMetalSkipReason } from "./metal-on-fake.js";

const device = devicesDisposedAfterEach();
const u8 = (pool: MlxBufferPool, dev: ReturnType<typeof device>, n: number): MlxBuffer =>
  pool.alloc(dev, n, DType.U8, [n]);

const metalSkip = fakeMetalSkipReason("arena-untracked.test.ts", "Metal resource-option tests");

describe(`arena.untrackedSlabs on ${backendUnderTest}`, () => {
  it("defaults to tracked slabs; true makes them untracked; stats().arena.slabHazardTracking says which", () => {
    const dev = device();
    for (const [arena, expected] of [
      [undefined, "tracked"],
      [{}, "tracked"],
      [{ untrackedSlabs: false }, "tracked"],
      [{ untrackedSlabs: true }, "untracked"],
    ] as const) {
      const pool = new MlxBufferPool({ policy: "arena", arena });
      expect(pool.stats().arena?.slabHazardTracking).toBe(expected);
      const a = u8(pool, dev, 1000);
      a.bytes().fill(1);
      expect(a.read(999, 1)[0]).toBe(1);
      expect(pool.stats().arena).toMatchObject({ slabHazardTracking: expected, slabCount: 1 });
      pool.dispose();
    }
    const sizeClasses = new MlxBufferPool();
    expect(sizeClasses.stats().arena).toBeUndefined();
    sizeClasses.dispose();
  });

  it.each(["yes", 1, 0, null, {}, "true"])(
    "untrackedSlabs %o is INVALID_ARGUMENT naming the value, and makes no pool",
    (bad) => {
      const before = liveNativeBuffers();
      const error = expectMlxError(
        () =>
          new MlxBufferPool({
            policy: "arena",
            arena: { untrackedSlabs: bad } as unknown as ArenaOptions,
          }),
        "INVALID_ARGUMENT",
      );
      expect(Object.is(error.value, bad)).toBe(true);
      expect(error.message).toMatch(/arena\.untrackedSlabs must be a boolean, got/);
      expect(liveNativeBuffers()).toEqual(before);
    },
  );

  it("without policy arena it is refused like every arena option", () => {
    const error = expectMlxError(
      () => new MlxBufferPool({ arena: { untrackedSlabs: true } }),
      "INVALID_ARGUMENT",
    );
    expect(error.message).toMatch(/the arena option needs policy "arena"/);
  });

  it("combines with strictViews and fences: untracked slabs serve leases like tracked ones", async () => {
    const dev = device();
    const pool = new MlxBufferPool({
      policy: "arena",
      strictViews: true,
      arena: { untrackedSlabs: true },
    });
    const a = u8(pool, dev, 4096);
    const b = u8(pool, dev, 4096);
    const view = a.bytes();
    pool.reset({ after: dev.fence() });
    expect(view.length).toBe(0);
    await dev.fence();
    await new Promise((r) => setTimeout(r, 0));
    const c = u8(pool, dev, 4096);
    expect([a.byteOffset, b.byteOffset]).toContain(c.byteOffset);
    pool.dispose();
  });
});

describe.skipIf(metalSkip !== null)("untracked slabs reach Metal (fake Metal runtime)", () => {
  const optionsOf = (buffer: MlxBuffer): number =>
    (fakeMetal as NonNullable<typeof fakeMetal>).fakeMetalBufferOptions(buffer.nativeHandle);

  it("every slab of an untrackedSlabs pool is created untracked; a default pool's slabs and direct buffers stay tracked", () => {
    const dev = device();
    const untracked = new MlxBufferPool({ policy: "arena", arena: { untrackedSlabs: true } });
    const tracked = new MlxBufferPool({ policy: "arena" });
    const sizeClasses = new MlxBufferPool();
    // Two slabs each: a small lease, and one too large for the first slab.
    const leases = [u8(untracked, dev, 1000), u8(untracked, dev, 8 << 20)];
    expect(leases[0]?.nativeHandle).not.toBe(leases[1]?.nativeHandle);
    expect(untracked.stats().arena?.slabCount).toBe(2);
    for (const lease of leases) expect(hazardTrackingOf(optionsOf(lease))).toBe("untracked");
    for (const lease of [u8(tracked, dev, 1000), u8(tracked, dev, 8 << 20)])
      expect(hazardTrackingOf(optionsOf(lease))).toBe("default");
    expect(hazardTrackingOf(optionsOf(u8(sizeClasses, dev, 1000)))).toBe("default");
    const direct = dev.allocBuffer(4096, DType.U8, [4096]);
    expect(optionsOf(direct)).toBe(0); // shared storage, tracked
    direct.dispose();
    for (const pool of [untracked, tracked, sizeClasses]) pool.dispose();
  });
});
