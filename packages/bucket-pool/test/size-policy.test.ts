import { describe, expect, it } from "vitest";
import { bucketSize, MlxError, pow2Divisions, sizePolicyByName } from "../src/index.js";

describe("bucketSize (the seed's policy)", () => {
  it("maps 0 and 1 to 1, and rounds up to the next power of two", () => {
    expect(bucketSize(0)).toBe(1);
    expect(bucketSize(1)).toBe(1);
    expect(bucketSize(2)).toBe(2);
    expect(bucketSize(3)).toBe(4);
    expect(bucketSize(4)).toBe(4);
    expect(bucketSize(5)).toBe(8);
    expect(bucketSize(1023)).toBe(1024);
    expect(bucketSize(1024)).toBe(1024);
    expect(bucketSize(1025)).toBe(2048);
  });

  it("is exact across the 2^31 boundary and up to 2^53", () => {
    expect(bucketSize(2 ** 30)).toBe(2 ** 30);
    expect(bucketSize(2 ** 30 + 1)).toBe(2 ** 31);
    expect(bucketSize(2 ** 31 - 1)).toBe(2 ** 31);
    expect(bucketSize(2 ** 31 + 1)).toBe(2 ** 32);
    expect(bucketSize(2 ** 40 - 1)).toBe(2 ** 40);
    expect(bucketSize(2 ** 52 + 1)).toBe(2 ** 53);
    expect(bucketSize(2 ** 53)).toBe(2 ** 53);
  });

  it("agrees with a BigInt reference on every power-of-two neighbourhood", () => {
    for (let k = 1; k < 53; k++) {
      for (const n of [2 ** k - 1, 2 ** k, 2 ** k + 1]) {
        let p = 1n;
        while (p < BigInt(n)) p <<= 1n;
        expect(bucketSize(n)).toBe(Number(p));
      }
    }
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2, "8"])(
    "rejects %s with INVALID_ARGUMENT naming the value",
    (bad) => {
      const error = (() => {
        try {
          bucketSize(bad as number);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(MlxError);
      expect((error as MlxError).code).toBe("INVALID_ARGUMENT");
      expect((error as MlxError).message).toContain(String(bad));
    },
  );
});

describe("pow2Divisions (PyTorch's roundup_power2_divisions)", () => {
  it("keeps powers of two at and below the threshold", () => {
    const policy = pow2Divisions(4, 1 << 20);
    expect(policy.bucketSize(3)).toBe(4);
    expect(policy.bucketSize(1 << 20)).toBe(1 << 20);
    expect(policy.bucketSize((1 << 19) + 1)).toBe(1 << 20);
  });

  it("splits each larger interval into equal steps", () => {
    const mib = 1 << 20;
    const policy = pow2Divisions(4, mib);
    expect(policy.bucketSize(mib + 1)).toBe(1.25 * mib);
    expect(policy.bucketSize(5 * mib)).toBe(5 * mib);
    expect(policy.bucketSize(5 * mib + 1)).toBe(6 * mib);
    expect(policy.bucketSize(7 * mib + 1)).toBe(8 * mib);
    expect(policy.bucketSize(8 * mib)).toBe(8 * mib);
  });

  it("never returns less than the request nor more than the next power of two", () => {
    const policy = pow2Divisions(8, 4096);
    for (let n = 1; n < 1 << 22; n = Math.floor(n * 1.37) + 1) {
      const c = policy.bucketSize(n);
      expect(c).toBeGreaterThanOrEqual(n);
      expect(c).toBeLessThanOrEqual(bucketSize(n));
    }
  });

  it("is found by name and rejects unknown names", () => {
    expect(sizePolicyByName("pow2").bucketSize(3)).toBe(4);
    expect(sizePolicyByName("pow2-div4").name).toBe("pow2-div4");
    expect(() => sizePolicyByName("fib")).toThrow(/unknown size policy "fib"/);
    expect(() => pow2Divisions(3)).toThrow(MlxError);
    expect(() => pow2Divisions(3 * 2 ** 32)).toThrow(MlxError); // power of two in 32 bits only
    expect(() => pow2Divisions(2048)).toThrow(MlxError);
  });
});
