// The slice of vitest's API our test files use, over node:test and @vitest/expect, so the test
// suites can be bundled and run on a machine that has only a `node` binary (the GPU machine).
import {
  after as nodeAfter,
  afterEach as nodeAfterEach,
  before as nodeBefore,
  beforeEach as nodeBeforeEach,
  describe as nodeDescribe,
  it as nodeIt,
} from "node:test";
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from "@vitest/expect";
import * as chai from "chai";

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = chai.expect as unknown as typeof import("vitest").expect;

type Body = () => unknown;
type Runner = (name: string, body: Body) => void;

function format(name: string, args: unknown[]): string {
  let i = 0;
  return name.replace(/%[sdio]/g, () => String(args[i++]));
}

function withModifiers(run: (name: string, body: Body, skip?: string) => void) {
  const base = ((name: string, body: Body) => run(name, body)) as Runner & {
    skip: Runner;
    skipIf: (condition: unknown) => Runner;
    runIf: (condition: unknown) => Runner;
    each: <T>(table: readonly T[]) => (name: string, body: (...args: unknown[]) => unknown) => void;
  };
  base.skip = (name, body) => run(name, body, "skipped");
  base.skipIf = (condition) => (name, body) =>
    condition ? run(name, body, "skipped (condition)") : run(name, body);
  base.runIf = (condition) => base.skipIf(!condition);
  base.each = (table) => (name, body) => {
    // As vitest: rows are spread into arguments only when every row is an array.
    const spread = table.every((row) => Array.isArray(row));
    for (const row of table) {
      const args = spread ? (row as unknown[]) : [row];
      run(format(name, args), () => body(...args));
    }
  };
  return base;
}

export const describe = withModifiers((name, body, skip) => {
  nodeDescribe(name, skip === undefined ? {} : { skip }, body as () => void);
});
export const it = withModifiers((name, body, skip) => {
  nodeIt(name, skip === undefined ? {} : { skip }, body as () => Promise<void>);
});
export const test = it;
export const beforeEach = (body: Body) => nodeBeforeEach(body as () => void);
export const afterEach = (body: Body) => nodeAfterEach(body as () => void);
export const beforeAll = (body: Body) => nodeBefore(body as () => void);
export const afterAll = (body: Body) => nodeAfter(body as () => void);

const spies: { restore: () => void }[] = [];
export const vi = {
  spyOn(object: Record<string, unknown>, key: string) {
    const original = object[key] as (...args: unknown[]) => unknown;
    const calls: unknown[][] = [];
    let impl: ((...args: unknown[]) => unknown) | undefined;
    const spy = Object.assign(
      function (this: unknown, ...args: unknown[]) {
        calls.push(args);
        return (impl ?? original).apply(this, args);
      },
      {
        mock: { calls },
        mockImplementation(fn: (...args: unknown[]) => unknown) {
          impl = fn;
          return spy;
        },
        mockRestore() {
          object[key] = original;
        },
      },
    );
    object[key] = spy;
    spies.push({ restore: () => spy.mockRestore() });
    return spy;
  },
  restoreAllMocks() {
    for (const s of spies.splice(0)) s.restore();
  },
};

// Type-level assertions are checked by `tsc` where the suites are built; at run time every
// matcher is a no-op that chains (expectTypeOf(x).toEqualTypeOf<...>(), .returns.toBe...()).
const typeMatcher: unknown = new Proxy(() => typeMatcher, {
  get: () => typeMatcher,
  apply: () => typeMatcher,
});
export const expectTypeOf = (() => typeMatcher) as unknown as typeof import("vitest").expectTypeOf;
