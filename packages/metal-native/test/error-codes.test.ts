import { readFileSync } from "node:fs";
import { ERROR_CODES, isErrorCode } from "@mlx/errors";
import { describe, expect, it } from "vitest";
import { NATIVE_ERROR_CODES } from "../src/index.js";

// The addon's error bridge names its codes in C++ (errorCodeName in errors.h); these checks
// keep that list, the TypeScript one and @mlx/errors' ERROR_CODES from drifting apart.
const header = readFileSync(new URL("../src/native/errors.h", import.meta.url), "utf8");

function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  expect(from, `${start} in errors.h`).toBeGreaterThanOrEqual(0);
  const to = text.indexOf(end, from);
  expect(to, `${end} after ${start} in errors.h`).toBeGreaterThan(from);
  return text.slice(from, to);
}

const enumBody = between(header, "enum class ErrorCode {", "};");
const enumerators = [...enumBody.matchAll(/^\s*([A-Z][A-Za-z]*),?\s*$/gm)].map((m) => m[1]);
const nameBody = between(header, "errorCodeName(ErrorCode code)", 'return "UNKNOWN"');
const cppNames = [...nameBody.matchAll(/return "([A-Z_]+)";/g)].map((m) => m[1]);

describe("native error codes", () => {
  it("errors.h names every enumerator exactly once", () => {
    expect(enumerators.length).toBeGreaterThan(0);
    expect(cppNames).toHaveLength(enumerators.length);
    expect(new Set(cppNames).size).toBe(cppNames.length);
  });

  it("every name errors.h gives is one of ERROR_CODES", () => {
    for (const name of cppNames) expect(isErrorCode(name), name).toBe(true);
    expect(ERROR_CODES).toEqual(expect.arrayContaining(cppNames));
  });

  it("NATIVE_ERROR_CODES is exactly the C++ list", () => {
    expect([...NATIVE_ERROR_CODES].sort()).toEqual([...cppNames].sort());
  });
});
