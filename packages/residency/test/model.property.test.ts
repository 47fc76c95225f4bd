import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResidencySet } from "../src/index.js";
import { buf, device, type FakeBuffer, FakeNativeSet, keyOf } from "./fake-native.js";

const ADDRESSES = 4;
/** An address (small space, so keys collide often) and one of two buffer objects at it. */
const target = { addr: fc.nat(ADDRESSES - 1), variant: fc.nat(1) };

/** Weighted toward staging, so batches grow and memory reuse (same key, new object) occurs. */
const op = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("add" as const), ...target }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("remove" as const), ...target }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("register" as const), ...target }) },
  { weight: 2, arbitrary: fc.constant({ kind: "commit" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "removeAll" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "discard" as const }) },
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Regression: a new buffer at an address whose removal is staged must replace the old one. */
const reuseExample: Op[] = [
  { kind: "register", addr: 1, variant: 0 },
  { kind: "remove", addr: 1, variant: 0 },
  { kind: "add", addr: 1, variant: 1 },
  { kind: "commit" },
];

/** Keys whose object differs between two key→buffer maps (missing counts as differing). */
function diff(from: Map<bigint, FakeBuffer>, to: Map<bigint, FakeBuffer>): number {
  let n = 0;
  for (const [k, b] of from) if (to.get(k) !== b) n++;
  return n;
}

function sameMaps(a: Map<bigint, FakeBuffer>, b: Map<bigint, FakeBuffer>): boolean {
  return a.size === b.size && diff(a, b) === 0;
}

describe("ResidencySet against a model", () => {
  it("matches a map model over random add/remove/register/commit/removeAll sequences", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const objects = Array.from({ length: ADDRESSES }, (_, a) => [buf(a), buf(a)]);
        const native = new FakeNativeSet(); // strict: a redundant native call throws
        const set = new ResidencySet(native, { owner: device("m"), keyOf, profile: false });
        const view = new Map<bigint, FakeBuffer>(); // membership the wrapper reports
        let committed = new Map<bigint, FakeBuffer>(); // membership the native set holds
        let commits = 0;

        const applyCommit = (): boolean => {
          const removes = diff(committed, view);
          const adds = diff(view, committed);
          const before = { ...native.calls };
          const did = set.commit();
          expect(did).toBe(removes + adds > 0);
          expect(native.calls.remove - before.remove).toBe(removes);
          expect(native.calls.add - before.add).toBe(adds);
          if (did) commits++;
          committed = new Map(view);
          return did;
        };

        for (const o of ops) {
          switch (o.kind) {
            case "add":
            case "register": {
              const b = objects[o.addr]?.[o.variant] as FakeBuffer;
              const fresh = !view.has(b.address);
              const result = o.kind === "add" ? set.stageAdd(b) : set.register(b);
              expect(result).toBe(fresh);
              if (fresh) view.set(b.address, b);
              if (o.kind === "register") {
                // register = stageAdd + commit: account for the commit it made.
                const did = !sameMaps(view, committed);
                if (did) commits++;
                committed = new Map(view);
              }
              break;
            }
            case "remove": {
              const b = objects[o.addr]?.[o.variant] as FakeBuffer;
              expect(set.stageRemove(b)).toBe(view.has(b.address));
              view.delete(b.address);
              break;
            }
            case "commit":
              applyCommit();
              break;
            case "removeAll": {
              expect(set.removeAllAndCommit()).toBe(view.size);
              if (committed.size > 0) commits++;
              view.clear();
              committed = new Map();
              break;
            }
            case "discard":
              set.discardStaged();
              view.clear();
              for (const [k, b] of committed) view.set(k, b);
              break;
          }
          expect(set.size).toBe(view.size);
          expect(set.committedSize).toBe(committed.size);
          expect(set.commitCount).toBe(commits);
          expect(native.calls.commit).toBe(commits);
          for (let a = 0; a < ADDRESSES; a++)
            expect(set.hasKey(BigInt(a))).toBe(view.has(BigInt(a)));
          // The native set holds exactly the committed objects.
          expect(native.allocationCount).toBe(committed.size);
          for (const b of committed.values()) expect(native.members.has(b)).toBe(true);
        }

        // A final commit leaves nothing staged; dispose removes everything in one commit.
        applyCommit();
        expect(set.stagedCount).toBe(0);
        set.dispose();
        expect(native.calls.commit).toBe(commits + (committed.size > 0 ? 1 : 0));
        expect(native.destroyed).toBe(true);
      }),
      { numRuns: 500, examples: [[reuseExample]] },
    );
  });
});
