import { MlxError } from "./errors.js";

/** Largest length any policy accepts: 2^53, the last integer a double holds exactly. */
export const MAX_BYTE_LENGTH = 2 ** 53;

/** Maps a requested length to the capacity of the buffer that serves it (its size class). */
export interface SizePolicy {
  /** Short name used on command lines and in stats (`pow2`, `pow2-div4`, ...). */
  readonly name: string;
  /** Capacity for a request of `n` bytes; always `>= n`. Throws `INVALID_ARGUMENT` on bad input. */
  bucketSize(n: number): number;
  /**
   * Optional: a small non-negative integer, different for every capacity this policy returns.
   * With it, pools find a class's free list by array index instead of a Map lookup, whose cost
   * varies from process to process with V8's random hash seed.
   */
  classIndex?(capacity: number): number;
}

function checkLength(n: number): void {
  // Written so that a valid Smi passes with two comparisons and one integer test.
  if (!(n >= 0 && n <= MAX_BYTE_LENGTH && Number.isInteger(n))) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `bucketSize: length must be an integer in [0, 2^53], got ${String(n)}`,
      { value: n },
    );
  }
}

/** Next power of two for an already checked `n >= 2`. */
function nextPowerOfTwo(n: number): number {
  // A shift keeps the result a small integer; `2 **` would box a double on every call.
  if (n <= 0x4000_0000) return 1 << (32 - Math.clz32(n - 1));
  // Above 2^30 bit operations overflow; log2 is exact on powers of two, so adjust by one step.
  let p = 2 ** Math.ceil(Math.log2(n));
  if (p / 2 >= n) p /= 2;
  else if (p < n) p *= 2;
  return p;
}

/**
 * The default size classes: the next power of two, with 0 and 1 both mapping to 1.
 * O(1), no allocation.
 */
export function bucketSize(n: number): number {
  checkLength(n);
  return n <= 1 ? 1 : nextPowerOfTwo(n);
}

/** log2 of a power of two up to 2^53. */
function log2Exact(p: number): number {
  return p <= 0x4000_0000 ? 31 - Math.clz32(p) : Math.round(Math.log2(p));
}

/** The default policy: {@link bucketSize}'s powers of two, indexed by their log2. */
export const pow2: SizePolicy = Object.freeze({ name: "pow2", bucketSize, classIndex: log2Exact });

/**
 * Finer classes for large sizes, after PyTorch's `roundup_power2_divisions`: each interval
 * [2^k, 2^(k+1)] above `above` bytes is split into `divisions` equal steps, so a 5 MiB request
 * takes 5 MiB (with 4 divisions) instead of 8 MiB. Sizes at or below `above` stay powers of two,
 * which keeps the number of small classes (and so free lists) low.
 */
export function pow2Divisions(divisions: number, above = 1 << 20): SizePolicy {
  if (
    !Number.isInteger(divisions) ||
    divisions < 1 ||
    divisions > 1024 ||
    (divisions & (divisions - 1)) !== 0
  ) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `pow2Divisions: divisions must be a power of two from 1 to 1024, got ${String(divisions)}`,
      { value: divisions },
    );
  }
  if (!Number.isInteger(above) || above < 1) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `pow2Divisions: above must be a positive integer, got ${String(above)}`,
      {
        value: above,
      },
    );
  }
  return Object.freeze({
    name: divisions === 1 ? "pow2" : `pow2-div${divisions}`,
    bucketSize(n: number): number {
      checkLength(n);
      if (n <= above || divisions === 1) return n <= 1 ? 1 : nextPowerOfTwo(n);
      const upper = nextPowerOfTwo(n);
      const step = upper / 2 / divisions;
      if (step < 1) return upper;
      return Math.ceil(n / step) * step;
    },
    classIndex(capacity: number): number {
      if (capacity <= above || divisions === 1) return log2Exact(capacity);
      // (upper/2, upper] in `divisions` steps: 54 + log2(upper) x divisions + step - 1.
      const upper = nextPowerOfTwo(capacity);
      const step = upper / 2 / divisions;
      // Below one byte per step bucketSize returns `upper` itself: the interval's last step.
      const k = step < 1 ? 2 * divisions : Math.round(capacity / step);
      return 54 + log2Exact(upper) * divisions + k - divisions - 1;
    },
  });
}

/** Names accepted by {@link sizePolicyByName}. */
export const SIZE_POLICY_NAMES = [
  "pow2",
  "pow2-div2",
  "pow2-div4",
  "pow2-div8",
  "pow2-div16",
] as const;

/** Looks a policy up by its command-line name. */
export function sizePolicyByName(name: string): SizePolicy {
  if (name === "pow2") return pow2;
  const match = /^pow2-div(\d+)$/.exec(name);
  if (match && (SIZE_POLICY_NAMES as readonly string[]).includes(name)) {
    return pow2Divisions(Number(match[1]));
  }
  throw new MlxError(
    "INVALID_ARGUMENT",
    `unknown size policy ${JSON.stringify(name)}; known: ${SIZE_POLICY_NAMES.join(", ")}`,
    { value: name },
  );
}

/** Throws `INVALID_ARGUMENT` unless `policy` looks like a {@link SizePolicy}; returns it. */
export function checkSizePolicy(policy: SizePolicy): SizePolicy {
  if (
    typeof policy !== "object" ||
    policy === null ||
    typeof policy.bucketSize !== "function" ||
    typeof policy.name !== "string" ||
    (policy.classIndex !== undefined && typeof policy.classIndex !== "function")
  ) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `a size policy needs a name, a bucketSize(n) function and, if any, a classIndex(capacity) function; got ${String(policy)}`,
      { value: policy },
    );
  }
  return policy;
}
