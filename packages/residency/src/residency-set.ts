import { describeValue, MlxError } from "@mlx/errors";
import { residencyProfilingEnabled } from "./env.js";
import {
  formatRegisterLine,
  formatResidencyKey,
  type ProfileWriter,
  type ResidencyEvent,
  type ResidencyEventHook,
  type ResidencyRegisterEvent,
  stderrProfileWriter,
} from "./events.js";
import type { NativeResidencySetLike } from "./native.js";
import { describeOwner } from "./owner.js";

/** Options of {@link ResidencySet}. */
export interface ResidencySetOptions<B> {
  /** The device identity the set belongs to; {@link ResidencySet.sameOwner} compares it. */
  owner: object;
  /**
   * The key of a buffer: its contents address. Membership is deduplicated by key, so two
   * wrappers of the same memory register once. Methods also accept an explicit key.
   */
  keyOf?: (buffer: B) => bigint;
  /**
   * The owner (device) of a buffer, when it can be told. If given, registering a buffer whose
   * owner is not this set's owner is an `INVALID_ARGUMENT` error.
   */
  ownerOf?: (buffer: B) => object | undefined;
  /** Name used in messages, profiling lines and events (default: the owner's `name`). */
  label?: string;
  /**
   * Receives every {@link ResidencyEvent}. Called before the change it reports is staged (after,
   * for commits). A throw is caught and counted, never aborting the change; see
   * {@link ResidencySet.hookErrorCount}.
   */
  onEvent?: ResidencyEventHook;
  /** Print one line per registration. Default: `MLX_PROFILE_RESIDENCY=1` (cached). */
  profile?: boolean;
  /** Where profiling lines go (default: stderr). */
  profileWriter?: ProfileWriter;
  /** Destroy the native set on {@link ResidencySet.dispose} (default `true`). */
  destroyNative?: boolean;
}

const NATIVE_METHODS = [
  "add",
  "remove",
  "removeAll",
  "commit",
  "requestResidency",
  "endResidency",
  "destroy",
] as const;

let nextSerial = 1;

/**
 * A device's residency set, wrapped: membership deduplicated by key, additions and removals
 * staged in JavaScript and applied with exactly one native commit per batch, owner checks, and
 * a profiling line per registration (`MLX_PROFILE_RESIDENCY=1`) and an event hook for code.
 *
 * Errors leave the set exactly as it was: nothing staged, no counter changed. A failing native
 * call during {@link commit} is undone as far as the native set allows and reported as
 * `RESIDENCY`; the batch stays staged.
 *
 * @typeParam B - the native buffer type.
 */
export class ResidencySet<B> {
  /** The device identity this set belongs to. */
  readonly owner: object;
  /** The label given at construction, if any. */
  readonly label: string | undefined;

  private readonly native: NativeResidencySetLike<B>;
  private readonly keyOf: ((buffer: B) => bigint) | undefined;
  private readonly ownerOf: ((buffer: B) => object | undefined) | undefined;
  private readonly onEvent: ResidencyEventHook | undefined;
  private readonly profile: boolean | undefined;
  private readonly profileWriter: ProfileWriter;
  private readonly destroyNative: boolean;
  private readonly serial = nextSerial++;

  /** Committed members, by key: the buffer object the native set holds. */
  private readonly members = new Map<bigint, B>();
  /** Additions not yet committed (never members). */
  private readonly stagedAdds = new Map<bigint, B>();
  /** Removals of committed members not yet committed. */
  private readonly stagedRemoves = new Map<bigint, B>();

  private commits = 0;
  private registrations = 0;
  private hookErrors = 0;
  /** The last error a user hook (`onEvent`, `profileWriter`) threw; see {@link hookErrorCount}. */
  lastHookError: unknown = undefined;
  private residencyRequested = false;
  private isDisposed = false;

  /**
   * @param native - the native set; this wrapper must be its only writer.
   * @throws MlxError `INVALID_ARGUMENT` for a native set missing a method, or a non-object owner.
   */
  constructor(native: NativeResidencySetLike<B>, options: ResidencySetOptions<B>) {
    if (typeof native !== "object" || native === null) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `ResidencySet: native set must be an object, got ${describeValue(native)}`,
        { value: native },
      );
    }
    for (const method of NATIVE_METHODS) {
      if (typeof native[method] !== "function") {
        throw new MlxError(
          "INVALID_ARGUMENT",
          `ResidencySet: native set has no ${method}() method`,
          { value: native },
        );
      }
    }
    const owner = options?.owner;
    if ((typeof owner !== "object" && typeof owner !== "function") || owner === null) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `ResidencySet: owner must be an object (the device), got ${describeValue(owner)}`,
        { value: owner },
      );
    }
    this.native = native;
    this.owner = owner;
    this.label = options.label;
    this.keyOf = options.keyOf;
    this.ownerOf = options.ownerOf;
    this.onEvent = options.onEvent;
    this.profile = options.profile;
    this.profileWriter = options.profileWriter ?? stderrProfileWriter;
    this.destroyNative = options.destroyNative ?? true;
  }

  /** The name messages use: the label, else the owner's name, else a per-set serial. */
  get name(): string {
    if (this.label !== undefined) return this.label;
    const ownerName = describeOwner(this.owner);
    return ownerName.startsWith("<") ? `residency-set#${this.serial}` : ownerName;
  }

  /** Whether {@link dispose} has run. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Members as the wrapper sees them: committed, plus staged additions, minus staged removals. */
  get size(): number {
    return this.members.size - this.stagedRemoves.size + this.stagedAdds.size;
  }

  /** Committed members only. */
  get committedSize(): number {
    return this.members.size;
  }

  /** Staged operations waiting for {@link commit}: additions plus removals. */
  get stagedCount(): number {
    return this.stagedAdds.size + this.stagedRemoves.size;
  }

  /** Throws of user hooks (`onEvent`, `profileWriter`), caught so that no change is left half done. */
  get hookErrorCount(): number {
    return this.hookErrors;
  }

  /** Native commits this wrapper has issued. Readable after dispose. */
  get commitCount(): number {
    return this.commits;
  }

  /**
   * Allocations in the native set, as the native side counts them.
   * @throws MlxError `DISPOSED` after {@link dispose} (the native set may be gone).
   */
  get allocationCount(): number {
    this.assertLive("allocationCount");
    return this.native.allocationCount;
  }

  /**
   * Whether `other` (a set, or an owner object) has the same owner as this set.
   */
  sameOwner(other: ResidencySet<unknown> | object): boolean {
    return other instanceof ResidencySet ? other.owner === this.owner : other === this.owner;
  }

  /** Whether `buffer`'s key is a member (committed or staged, not staged for removal). */
  has(buffer: B, key?: bigint): boolean {
    return this.hasKey(this.keyFor(buffer, key, "has"));
  }

  /** Whether `key` is a member (committed or staged, not staged for removal). */
  hasKey(key: bigint): boolean {
    this.assertLive("hasKey");
    if (typeof key !== "bigint") throw badKey(key, "hasKey");
    return this.stagedAdds.has(key) || (this.members.has(key) && !this.stagedRemoves.has(key));
  }

  /**
   * Stages the addition of `buffer`. Deduplicated by key: a key already a member or already
   * staged answers `false` and makes no native call. Reports a `register` event and, when
   * profiling, prints its line, both before anything is staged.
   *
   * @param key - the buffer's key; default `keyOf(buffer)`.
   * @returns `true` when newly staged.
   * @throws MlxError `DISPOSED`; `INVALID_ARGUMENT` for a bad key or a buffer of another owner.
   */
  stageAdd(buffer: B, key?: bigint): boolean {
    const k = this.keyFor(buffer, key, "stageAdd");
    if (this.ownerOf !== undefined) this.checkBufferOwner(buffer, k);
    const pendingRemoval = this.stagedRemoves.get(k);
    const duplicate =
      this.stagedAdds.has(k) || (this.members.has(k) && pendingRemoval === undefined);
    if (this.onEvent !== undefined || this.profiling()) {
      this.reportRegister(k, duplicate);
    }
    this.registrations++;
    if (duplicate) return false;
    if (pendingRemoval === buffer) {
      // Same object re-added before its removal was committed: cancel the removal.
      this.stagedRemoves.delete(k);
    } else {
      // A new buffer at a key staged for removal (memory reused) is removed, then added.
      this.stagedAdds.set(k, buffer);
    }
    return true;
  }

  /**
   * Stages the removal of `buffer` (by key). A staged, uncommitted addition is simply dropped.
   *
   * @returns `false` when the key is not a member: nothing is staged.
   * @throws MlxError `DISPOSED`; `INVALID_ARGUMENT` for a bad key.
   */
  stageRemove(buffer: B, key?: bigint): boolean {
    const k = this.keyFor(buffer, key, "stageRemove");
    const member = this.stagedAdds.has(k) || (this.members.has(k) && !this.stagedRemoves.has(k));
    this.report(
      this.label === undefined
        ? { kind: "remove", key: k, member }
        : { kind: "remove", key: k, member, label: this.label },
    );
    if (!member) return false;
    if (!this.stagedAdds.delete(k)) this.stagedRemoves.set(k, this.members.get(k) as B);
    return true;
  }

  /**
   * One buffer, one commit: {@link stageAdd}, then {@link commit} (one native commit,
   * which also applies anything staged before).
   *
   * @returns `true` when `buffer` was newly registered; `false` for a duplicate (no commit
   * unless other changes were staged).
   */
  register(buffer: B, key?: bigint): boolean {
    this.assertLive("register");
    const added = this.stageAdd(buffer, key);
    this.commit();
    return added;
  }

  /**
   * Applies the staged removals, then the staged additions, to the native set, then makes one
   * native commit.
   *
   * @returns `false` (and no native call) when nothing is staged.
   * @throws MlxError `DISPOSED`; `RESIDENCY` when a native call fails (undone; batch kept).
   */
  commit(): boolean {
    this.assertLive("commit");
    const adds = this.stagedAdds;
    const removes = this.stagedRemoves;
    if (adds.size === 0 && removes.size === 0) return false;
    const native = this.native;
    let removed = 0;
    let added = 0;
    try {
      for (const buffer of removes.values()) {
        native.remove(buffer);
        removed++;
      }
      for (const buffer of adds.values()) {
        native.add(buffer);
        added++;
      }
      native.commit();
    } catch (cause) {
      this.undoNative(removed, added);
      throw new MlxError(
        "RESIDENCY",
        `ResidencySet ${this.name}: native commit of ${adds.size} addition(s) and ${removes.size} removal(s) failed (${errorText(cause)}); the batch is still staged`,
        { cause },
      );
    }
    this.commits++;
    for (const key of removes.keys()) this.members.delete(key);
    for (const [key, buffer] of adds) this.members.set(key, buffer);
    const addedCount = adds.size;
    const removedCount = removes.size;
    adds.clear();
    removes.clear();
    this.report(
      this.label === undefined
        ? { kind: "commit", added: addedCount, removed: removedCount, commitCount: this.commits }
        : {
            kind: "commit",
            added: addedCount,
            removed: removedCount,
            commitCount: this.commits,
            label: this.label,
          },
    );
    return true;
  }

  /**
   * Drops every staged change without touching the native set.
   * @returns the number of staged operations dropped.
   */
  discardStaged(): number {
    this.assertLive("discardStaged");
    const dropped = this.stagedCount;
    this.stagedAdds.clear();
    this.stagedRemoves.clear();
    return dropped;
  }

  /**
   * Removes every member: one native `removeAll` and one commit when anything is committed;
   * staged additions are dropped (they never reached the native set).
   *
   * @returns the number of members removed, as {@link size} counted them.
   * @throws MlxError `DISPOSED`; `RESIDENCY` when a native call fails (nothing changes).
   */
  removeAllAndCommit(): number {
    this.assertLive("removeAllAndCommit");
    const removed = this.size;
    if (this.members.size > 0) {
      try {
        this.native.removeAll();
        this.native.commit();
      } catch (cause) {
        throw new MlxError(
          "RESIDENCY",
          `ResidencySet ${this.name}: native removeAll of ${this.members.size} allocation(s) failed (${errorText(cause)})`,
          { cause },
        );
      }
      this.commits++;
      this.members.clear();
    }
    this.stagedAdds.clear();
    this.stagedRemoves.clear();
    if (removed > 0) {
      this.report(
        this.label === undefined
          ? { kind: "removeAll", removed }
          : { kind: "removeAll", removed, label: this.label },
      );
    }
    return removed;
  }

  /** Asks the driver to keep the set resident (Metal: a standing request on the queue). */
  requestResidency(): void {
    this.assertLive("requestResidency");
    this.native.requestResidency();
    this.residencyRequested = true;
  }

  /** Ends the residency request made by {@link requestResidency}. */
  endResidency(): void {
    this.assertLive("endResidency");
    this.native.endResidency();
    this.residencyRequested = false;
  }

  /**
   * Removes every member (one commit if any), ends a residency request, and destroys the
   * native set unless `destroyNative: false`. Idempotent; every later use is `DISPOSED`.
   * The set counts as disposed even when a native call throws (the error is rethrown).
   */
  dispose(): void {
    if (this.isDisposed) return;
    try {
      this.removeAllAndCommit();
      if (this.residencyRequested) this.endResidency();
    } finally {
      this.isDisposed = true;
      this.stagedAdds.clear();
      this.stagedRemoves.clear();
      this.members.clear();
      if (this.destroyNative) this.native.destroy();
    }
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  private keyFor(buffer: B, key: bigint | undefined, method: string): bigint {
    this.assertLive(method);
    if (key === undefined) {
      if (this.keyOf === undefined) {
        throw new MlxError(
          "INVALID_ARGUMENT",
          `ResidencySet ${this.name}: ${method}() needs a key: pass one or give the set a keyOf option`,
        );
      }
      key = this.keyOf(buffer);
    }
    if (typeof key !== "bigint") throw badKey(key, method);
    return key;
  }

  private checkBufferOwner(buffer: B, key: bigint): void {
    const bufferOwner = (this.ownerOf as (b: B) => object | undefined)(buffer);
    if (bufferOwner === undefined || bufferOwner === this.owner) return;
    throw new MlxError(
      "INVALID_ARGUMENT",
      `ResidencySet ${this.name}: cannot register buffer ${formatResidencyKey(key)} of ${describeOwner(bufferOwner)} in the residency set of ${describeOwner(this.owner)}`,
      { value: bufferOwner },
    );
  }

  private profiling(): boolean {
    return this.profile ?? residencyProfilingEnabled();
  }

  /** Builds the register event once and hands it to the profiler and the hook. */
  private reportRegister(key: bigint, duplicate: boolean): void {
    const base = {
      kind: "register" as const,
      count: this.registrations + 1,
      key,
      duplicate,
      size: this.size + (duplicate ? 0 : 1),
    };
    const event: ResidencyRegisterEvent =
      this.label === undefined ? base : { ...base, label: this.label };
    if (this.profiling()) this.guarded(() => this.profileWriter(formatRegisterLine(event)));
    this.report(event);
  }

  /**
   * Hands `event` to the user's hook. A hook is user code: its throw must not abort the change
   * the event reports halfway (a member staged but not recorded, memory freed while still in
   * the native set), so it is caught, counted in {@link hookErrorCount}, kept in
   * {@link lastHookError} and reported as a warning (the first of each set).
   */
  private report(event: ResidencyEvent): void {
    const hook = this.onEvent;
    if (hook !== undefined) this.guarded(() => hook(event));
  }

  private guarded(call: () => void): void {
    try {
      call();
    } catch (error) {
      // One warning per set: a hook that always throws must not flood the log.
      if (this.hookErrors++ === 0) warnHookError(this.name, error);
      this.lastHookError = error;
    }
  }

  /** Best-effort reversal of the first `removed` removals and `added` additions of a batch. */
  private undoNative(removed: number, added: number): void {
    let i = 0;
    for (const buffer of this.stagedAdds.values()) {
      if (i++ >= added) break;
      try {
        this.native.remove(buffer);
      } catch {
        // Best effort: the original error is the one reported.
      }
    }
    i = 0;
    for (const buffer of this.stagedRemoves.values()) {
      if (i++ >= removed) break;
      try {
        this.native.add(buffer);
      } catch {
        // Best effort, as above.
      }
    }
  }

  private assertLive(method: string): void {
    if (this.isDisposed) {
      throw new MlxError("DISPOSED", `ResidencySet ${this.name}: ${method}() after dispose()`);
    }
  }
}

/** One warning per hook error: a process warning in Node, the console elsewhere. */
function warnHookError(setName: string, error: unknown): void {
  const message = `ResidencySet ${setName}: a residency hook threw (${errorText(error)}); the change it reported went ahead`;
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } })
    .process;
  try {
    if (typeof proc?.emitWarning === "function")
      proc.emitWarning(message, { code: "MLX_RESIDENCY_HOOK" });
    else console.warn(message);
  } catch {
    // A warning that cannot be given must not break the set either.
  }
}

function badKey(key: unknown, method: string): MlxError {
  return new MlxError(
    "INVALID_ARGUMENT",
    `ResidencySet: ${method}() key must be a bigint (contents address), got ${describeValue(key)}`,
    { value: key },
  );
}

function errorText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
