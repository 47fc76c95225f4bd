import { describe, expect, it } from "vitest";
import { describeValue, ERROR_CODES, isErrorCode, isMlxError, MlxError } from "../src/index.js";

describe("MlxError", () => {
  it("carries code, value, bytes and cause", () => {
    const cause = new Error("inner");
    const e = new MlxError("BUFFER_ALLOCATION", "no memory for 64 bytes", {
      value: 64,
      bytes: 64,
      cause,
    });
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(MlxError);
    expect(e.name).toBe("MlxError");
    expect(e.code).toBe("BUFFER_ALLOCATION");
    expect(e.value).toBe(64);
    expect(e.bytes).toBe(64);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe("no memory for 64 bytes");
  });

  it("has no cause property when none is given", () => {
    expect("cause" in new MlxError("DISPOSED", "gone")).toBe(false);
  });
});

describe("isMlxError", () => {
  it("recognises errors of this copy and refuses look-alikes", () => {
    expect(isMlxError(new MlxError("DISPOSED", "gone"))).toBe(true);
    expect(isMlxError(Object.assign(new Error("x"), { code: "DISPOSED" }))).toBe(false);
    expect(isMlxError({ code: "DISPOSED", message: "x" })).toBe(false);
    expect(isMlxError(null)).toBe(false);
    expect(isMlxError("DISPOSED")).toBe(false);
  });

  it("recognises an error of a second installed copy (same registry brand)", async () => {
    // A second copy of the module: a fresh module instance loaded under another URL.
    const url = new URL("../src/mlx-error.ts", import.meta.url);
    url.search = "?second-copy";
    const copy = (await import(url.href)) as typeof import("../src/mlx-error.js");
    expect(copy.MlxError).not.toBe(MlxError);
    const foreign = new copy.MlxError("STALE_BUFFER", "stale");
    expect(foreign instanceof MlxError).toBe(false);
    expect(isMlxError(foreign)).toBe(true);
    expect(copy.isMlxError(new MlxError("STALE_BUFFER", "stale"))).toBe(true);
  });
});

describe("codes", () => {
  it("lists each code once and checks membership", () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(isErrorCode(code)).toBe(true);
    expect(isErrorCode("NOPE")).toBe(false);
    expect(isErrorCode(1)).toBe(false);
  });
});

describe("describeValue", () => {
  it("formats each kind of value", () => {
    expect(describeValue("a")).toBe('"a"');
    expect(describeValue(3n)).toBe("3n");
    expect(describeValue(1.5)).toBe("1.5");
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue([1, "x"])).toBe('[1, "x"]');
    expect(describeValue({})).toBe("[object Object]");
  });
});
