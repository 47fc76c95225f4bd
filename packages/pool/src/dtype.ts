import { MlxError } from "@mlx/errors";

/** What `MlxBuffer.typed()` returns, by dtype. */
export type ElementArray = Float32Array | Uint16Array | Uint8Array | Uint32Array | Int32Array;

/**
 * The typed array of a dtype type: `Float32Array` for `typeof DType.F32`, the union of theirs
 * for a union of dtypes (a dtype chosen at run time).
 */
export type ElementArrayOf<D extends DType> = D extends DType<infer T> ? T : never;

/** Constructor of a dtype's typed array. */
export type ElementArrayConstructor<T extends ElementArray = ElementArray> = new (
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
) => T;

/**
 * Element types of buffers. Instances are singletons: compare with `===`. `T` is the typed array
 * `MlxBuffer.typed()` returns for it, so a buffer of `DType.F32` reads as a `Float32Array`
 * without a cast.
 */
export class DType<T extends ElementArray = ElementArray> {
  static readonly F32: DType<Float32Array> = new DType("f32", 4, Float32Array);
  static readonly F16: DType<Uint16Array> = new DType("f16", 2, Uint16Array);
  static readonly BF16: DType<Uint16Array> = new DType("bf16", 2, Uint16Array);
  static readonly U8: DType<Uint8Array> = new DType("u8", 1, Uint8Array);
  static readonly U16: DType<Uint16Array> = new DType("u16", 2, Uint16Array);
  static readonly U32: DType<Uint32Array> = new DType("u32", 4, Uint32Array);
  static readonly I32: DType<Int32Array> = new DType("i32", 4, Int32Array);

  /** Every dtype, in declaration order. */
  static readonly all: readonly DType[] = Object.freeze([
    DType.F32,
    DType.F16,
    DType.BF16,
    DType.U8,
    DType.U16,
    DType.U32,
    DType.I32,
  ]);

  /** The dtype named `name` (`"f32"`...); throws `INVALID_ARGUMENT` for an unknown name. */
  static byName(name: string): DType {
    const found = DType.all.find((d) => d.name === name);
    if (found === undefined) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `unknown dtype ${JSON.stringify(name)}; known: ${DType.all.map((d) => d.name).join(", ")}`,
        { value: name },
      );
    }
    return found;
  }

  /** Bytes per element. */
  readonly size: number;
  /** Only the seven singletons carry it: `#brand in x` tells them from look-alikes. */
  readonly #brand = true;

  /** Whether `value` is one of the dtypes (not a look-alike made from the prototype). */
  static is(value: unknown): value is DType {
    return typeof value === "object" && value !== null && #brand in value;
  }

  /** Short name: `"f32"`, `"bf16"`... */
  readonly name: string;
  /** The typed array `MlxBuffer.typed()` returns; 16-bit floats are read as raw `Uint16Array`. */
  readonly arrayType: ElementArrayConstructor<T>;

  private constructor(name: string, size: number, arrayType: ElementArrayConstructor<T>) {
    this.name = name;
    this.size = size;
    this.arrayType = arrayType;
    Object.freeze(this);
  }

  toString(): string {
    return this.name;
  }
}
