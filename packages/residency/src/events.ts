/** One registration request (`stageAdd` or `register`), reported before any native call. */
export interface ResidencyRegisterEvent {
  readonly kind: "register";
  /** 1-based sequence number of this registration request on its set, duplicates included. */
  readonly count: number;
  /** The allocation's key (its contents address). */
  readonly key: bigint;
  /** True when the key was already a member or already staged: no native call follows. */
  readonly duplicate: boolean;
  /** Membership of the set (committed and staged) once this request is applied. */
  readonly size: number;
  /** The set's label, when it has one. */
  readonly label?: string;
}

/** One removal request (`stageRemove`), reported before it is staged. */
export interface ResidencyRemoveEvent {
  readonly kind: "remove";
  readonly key: bigint;
  /** False when the key was not a member: nothing is staged. */
  readonly member: boolean;
  readonly label?: string;
}

/** One native commit, reported after it succeeded. */
export interface ResidencyCommitEvent {
  readonly kind: "commit";
  /** Allocations added by this commit. */
  readonly added: number;
  /** Allocations removed by this commit. */
  readonly removed: number;
  /** Native commits issued by this set so far, this one included. */
  readonly commitCount: number;
  readonly label?: string;
}

/** A `removeAllAndCommit` (also run by `dispose`), reported after it succeeded. */
export interface ResidencyRemoveAllEvent {
  readonly kind: "removeAll";
  /** Members removed (staged additions included). */
  readonly removed: number;
  readonly label?: string;
}

/** Everything a `ResidencySet` reports to its `onEvent` hook. */
export type ResidencyEvent =
  | ResidencyRegisterEvent
  | ResidencyRemoveEvent
  | ResidencyCommitEvent
  | ResidencyRemoveAllEvent;

/**
 * Receives {@link ResidencyEvent}s. A hook that throws never aborts the change it reports: the
 * set catches the error, counts it and reports it as a warning.
 */
export type ResidencyEventHook = (event: ResidencyEvent) => void;

/** Writes one profiling line (without its newline). */
export type ProfileWriter = (line: string) => void;

/** Formats a key the way addresses are usually read: `0x7f...`. */
export function formatResidencyKey(key: bigint): string {
  return `0x${key.toString(16)}`;
}

/**
 * The `MLX_PROFILE_RESIDENCY` line for one registration, e.g.
 * `[mlx residency] register #12 key=0x7f00 duplicate=false size=12 label=gpu0`.
 */
export function formatRegisterLine(event: ResidencyRegisterEvent): string {
  const label = event.label === undefined ? "" : ` label=${event.label}`;
  return `[mlx residency] register #${event.count} key=${formatResidencyKey(event.key)} duplicate=${event.duplicate} size=${event.size}${label}`;
}

/** Default {@link ProfileWriter}: one line on stderr (console in browsers). */
export const stderrProfileWriter: ProfileWriter = (line) => {
  if (typeof process !== "undefined" && process.stderr) process.stderr.write(`${line}\n`);
  else console.error(line);
};
