import { MlxError } from "@mlx/errors";
import { residencyDisabledByEnv } from "./env.js";

/** What the owner checks need from a set; {@link ResidencySet} satisfies it. */
export interface OwnedResidency {
  /** The device identity the set belongs to. */
  readonly owner: object;
  /** The name error messages use for the set. */
  readonly name: string;
  /** True once the set is gone (its device disposed): a binding to it then lapses. */
  readonly disposed?: boolean;
}

/**
 * A readable name for an owner (usually a device) in error messages: its string `name` when it
 * has one, else its class name.
 */
export function describeOwner(owner: object): string {
  const name = (owner as { name?: unknown }).name;
  if (typeof name === "string" && name !== "") return name;
  const ctor = (owner as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? `<${ctor.name}>` : "<object>";
}

/**
 * One consumer keeps one residency set: the set of the first residency-enabled device, accepting
 * any later device without one (`next` absent) and rejecting a different set.
 *
 * @param current - the set already captured, if any.
 * @param next - the set of the device in hand; `undefined`/`null` when it has no residency.
 * @param context - who is asking, for the message (default `"ResidencyBinding"`).
 * @returns the set to use from now on (`current`, or `next` if nothing was captured yet).
 * @throws MlxError `INVALID_ARGUMENT` when both exist and differ; nothing changes.
 */
export function checkSameResidency<S extends OwnedResidency>(
  current: S | undefined,
  next: S | null | undefined,
  context = "ResidencyBinding",
): S | undefined {
  if (next == null) return current;
  if (current === undefined || current === next) return next;
  throw new MlxError(
    "INVALID_ARGUMENT",
    `${context}: cannot mix devices with different residency sets (first: ${current.name}, now: ${next.name})`,
    { value: next.owner },
  );
}

/** Options of {@link ResidencyBinding}. */
export interface ResidencyBindingOptions {
  /** Who error messages name as the caller (default `"ResidencyBinding"`). */
  context?: string;
  /**
   * Whether residency is used at all. Default: not switched off by `MLX_NO_RESIDENCY` /
   * `HF2Q_NO_RESIDENCY` (read when the binding is made). When false, `bind` always answers
   * `undefined` so callers register nothing.
   */
  enabled?: boolean;
}

/**
 * The residency set one consumer (a pool) registers into: captured from the first
 * residency-enabled device, then enforced by {@link checkSameResidency}. `bind` allocates
 * nothing, so a caller can call it on every fresh allocation.
 *
 * @typeParam S - the set type, usually `ResidencySet<B>`.
 */
export class ResidencyBinding<S extends OwnedResidency> {
  /** Whether this binding registers anything (see {@link ResidencyBindingOptions.enabled}). */
  readonly enabled: boolean;
  private readonly context: string;
  private captured: S | undefined = undefined;

  constructor(options: ResidencyBindingOptions = {}) {
    this.context = options.context ?? "ResidencyBinding";
    this.enabled = options.enabled ?? !residencyDisabledByEnv();
  }

  /**
   * The captured set, or `undefined` before the first residency-enabled device and once the
   * captured set is disposed (its memory is gone, so nothing binds the consumer to it).
   */
  get set(): S | undefined {
    if (this.captured?.disposed === true) this.captured = undefined;
    return this.captured;
  }

  /**
   * Throws as {@link bind} would for `next`, without capturing it: for a consumer that binds
   * only at its first registration.
   */
  check(next: S | null | undefined): void {
    if (!this.enabled || next == null) return;
    checkSameResidency(this.set, next, this.context);
  }

  /**
   * The set to register into for a device whose set is `next` (`undefined`/`null` when the
   * device has none), capturing it if it is the first.
   *
   * @returns `undefined` when there is nothing to register into (disabled, or no set yet and
   * `next` absent).
   * @throws MlxError `INVALID_ARGUMENT` when `next` differs from the captured set; nothing changes.
   */
  bind(next: S | null | undefined): S | undefined {
    if (!this.enabled) return undefined;
    if (next == null) return undefined;
    this.captured = checkSameResidency(this.set, next, this.context);
    return next;
  }

  /** Forgets the captured set (for a consumer that is being disposed or cleared of devices). */
  forget(): void {
    this.captured = undefined;
  }
}
