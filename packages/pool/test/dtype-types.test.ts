// typed() follows the dtype: the element type is in DType<T>, checked by tsc (pnpm typecheck
// compiles this file) and at run time.
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { DType, type ElementArray, type MlxBuffer, MlxBufferPool } from "../src/index.js";
import { devicesDisposedAfterEach } from "./helpers.js";

const open = devicesDisposedAfterEach();
let pool: MlxBufferPool;
afterEach(() => pool.dispose());

describe("typed() follows the dtype", () => {
  it("gives each dtype's array type without a cast", () => {
    const dev = open();
    pool = new MlxBufferPool();
    const f32 = pool.alloc(dev, 16, DType.F32, [4]).typed();
    expectTypeOf(f32).toEqualTypeOf<Float32Array>();
    expect(f32).toBeInstanceOf(Float32Array);
    f32[0] = 1.5; // a Float32Array, not a union: no cast needed to write a float
    expect(f32[0]).toBe(1.5);
    const i32 = dev.allocBuffer(8, DType.I32, [2]);
    expectTypeOf(i32).toEqualTypeOf<MlxBuffer<Int32Array>>();
    expect(i32.typed()).toBeInstanceOf(Int32Array);
    i32.dispose();
    const cases = [
      [DType.F16, Uint16Array],
      [DType.BF16, Uint16Array],
      [DType.U8, Uint8Array],
      [DType.U16, Uint16Array],
      [DType.U32, Uint32Array],
    ] as const;
    for (const [dtype, type] of cases) {
      expect(pool.alloc(dev, 8, dtype, [8 / dtype.size]).typed()).toBeInstanceOf(type);
    }
    expectTypeOf(pool.alloc(dev, 2, DType.BF16, [1]).typed()).toEqualTypeOf<Uint16Array>();
    // A dtype chosen at run time among a few: the union of their arrays, still no cast.
    const either = Math.random() < 2 ? DType.F32 : DType.I32;
    expectTypeOf(pool.alloc(dev, 4, either, [1]).typed()).toEqualTypeOf<
      Float32Array | Int32Array
    >();
  });

  it("is the union for a dtype known only at run time", () => {
    const dev = open();
    pool = new MlxBufferPool();
    const dtype: DType = DType.byName("u32");
    const any = pool.alloc(dev, 8, dtype, [2]).typed();
    expectTypeOf(any).toEqualTypeOf<ElementArray>();
    expect(any).toBeInstanceOf(Uint32Array);
    // A typed buffer still goes where any buffer goes.
    const list: MlxBuffer[] = [pool.alloc(dev, 4, DType.F32, [1])];
    expect(list[0]?.dtype).toBe(DType.F32);
  });
});
