// Setup file of every suite run against the fake Metal runtime (scripts/metal-fake/run.sh):
// after each test file, the fake must report no leaked MTLBuffer, no over-release and no
// autorelease pool left pushed, or the file fails.
import { afterAll, expect } from "vitest";
import { fakeMetal, fakeMetalProblems } from "./report.js";

afterAll(() => {
  if (fakeMetal === null) return;
  expect(fakeMetalProblems(fakeMetal)).toEqual([]);
});
