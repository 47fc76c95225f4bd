import type { NativeResidencySetLike } from "./native.js";

/**
 * A {@link NativeResidencySetLike} in plain JavaScript with Metal's staging semantics: `add`,
 * `remove` and `removeAll` take effect at `commit`. For tests, examples, and backends with no
 * residency of their own. Members are held by object identity, as Metal holds allocations.
 *
 * @typeParam B - the buffer type.
 */
export class InMemoryNativeResidencySet<B> implements NativeResidencySetLike<B> {
  private readonly committed = new Set<B>();
  /** Pending operations in call order; `removeAll` is recorded as `null`. */
  private readonly pending: Array<readonly ["add" | "remove", B] | null> = [];
  private commits = 0;
  private resident = false;
  private destroyed = false;

  /** Stages an addition. */
  add(buffer: B): void {
    this.assertLive();
    this.pending.push(["add", buffer]);
  }

  /** Stages a removal. */
  remove(buffer: B): void {
    this.assertLive();
    this.pending.push(["remove", buffer]);
  }

  /** Stages the removal of every member. */
  removeAll(): void {
    this.assertLive();
    this.pending.push(null);
  }

  /** Applies pending operations in order. */
  commit(): void {
    this.assertLive();
    for (const op of this.pending) {
      if (op === null) this.committed.clear();
      else if (op[0] === "add") this.committed.add(op[1]);
      else this.committed.delete(op[1]);
    }
    this.pending.length = 0;
    this.commits++;
  }

  /** Marks the set resident. */
  requestResidency(): void {
    this.assertLive();
    this.resident = true;
  }

  /** Clears the resident mark. */
  endResidency(): void {
    this.assertLive();
    this.resident = false;
  }

  /** Committed members. */
  get allocationCount(): number {
    return this.committed.size;
  }

  /** Commits performed. */
  get commitCount(): number {
    return this.commits;
  }

  /** Whether a residency request is standing. */
  get isResident(): boolean {
    return this.resident;
  }

  /** Whether {@link destroy} has run. */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Whether `buffer` is a committed member. */
  contains(buffer: B): boolean {
    return this.committed.has(buffer);
  }

  /** Drops everything; later calls throw. */
  destroy(): void {
    this.committed.clear();
    this.pending.length = 0;
    this.destroyed = true;
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error("InMemoryNativeResidencySet: used after destroy()");
  }
}
