import type { NativeResidencySetLike } from "../src/index.js";

/** A test buffer: an address plus an optional device owner. */
export interface FakeBuffer {
  readonly address: bigint;
  readonly device?: object;
}

/** Makes a fake buffer at `address`. */
export function buf(address: number | bigint, device?: object): FakeBuffer {
  return device === undefined ? { address: BigInt(address) } : { address: BigInt(address), device };
}

export const keyOf = (b: FakeBuffer): bigint => b.address;

type Method = "add" | "remove" | "removeAll" | "commit" | "requestResidency" | "endResidency";

/**
 * A native set that counts every call, logs them in order (to a shared log if given), stages like
 * Metal, and is strict: adding a member or removing a non-member throws, so a wrapper that issues
 * redundant native calls fails the test.
 */
export class FakeNativeSet implements NativeResidencySetLike<FakeBuffer> {
  readonly calls: Record<Method | "destroy", number> = {
    add: 0,
    remove: 0,
    removeAll: 0,
    commit: 0,
    requestResidency: 0,
    endResidency: 0,
    destroy: 0,
  };
  readonly members = new Set<FakeBuffer>();
  private pending: Array<["add" | "remove", FakeBuffer] | null> = [];
  /** Throw on the n-th (1-based) next call of a method. */
  failOn: { method: Method; nth: number } | undefined;
  resident = false;
  destroyed = false;

  constructor(readonly log: string[] = []) {}

  private enter(method: Method, detail = ""): void {
    if (this.destroyed) throw new Error(`fake: ${method} after destroy`);
    this.calls[method]++;
    this.log.push(`native.${method}${detail}`);
    if (this.failOn?.method === method && --this.failOn.nth === 0) {
      this.failOn = undefined;
      throw new Error(`fake ${method} failure`);
    }
  }

  /** Membership after the pending operations would be applied. */
  private projected(): Set<FakeBuffer> {
    const set = new Set(this.members);
    for (const op of this.pending) {
      if (op === null) set.clear();
      else if (op[0] === "add") set.add(op[1]);
      else set.delete(op[1]);
    }
    return set;
  }

  add(b: FakeBuffer): void {
    this.enter("add", ` 0x${b.address.toString(16)}`);
    if (this.projected().has(b)) throw new Error("fake: duplicate add");
    this.pending.push(["add", b]);
  }

  remove(b: FakeBuffer): void {
    this.enter("remove", ` 0x${b.address.toString(16)}`);
    if (!this.projected().has(b)) throw new Error("fake: remove of a non-member");
    this.pending.push(["remove", b]);
  }

  removeAll(): void {
    this.enter("removeAll");
    this.pending.push(null);
  }

  commit(): void {
    this.enter("commit");
    const next = this.projected();
    this.members.clear();
    for (const b of next) this.members.add(b);
    this.pending = [];
  }

  requestResidency(): void {
    this.enter("requestResidency");
    this.resident = true;
  }

  endResidency(): void {
    this.enter("endResidency");
    this.resident = false;
  }

  /** Pending (uncommitted) native operations. */
  get pendingCount(): number {
    return this.pending.length;
  }

  get allocationCount(): number {
    return this.members.size;
  }

  get commitCount(): number {
    return this.calls.commit;
  }

  destroy(): void {
    this.calls.destroy++;
    this.log.push("native.destroy");
    this.destroyed = true;
  }

  /** Total native calls except destroy. */
  get totalCalls(): number {
    const { destroy: _destroy, ...rest } = this.calls;
    return Object.values(rest).reduce((a, b) => a + b, 0);
  }
}

/** A device-like owner with a name. */
export function device(name: string): { name: string } {
  return { name };
}
