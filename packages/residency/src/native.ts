/**
 * The native residency-set interface this package wraps, written structurally so that
 * `@mlx/residency` never imports native code (`@mlx/metal-native` satisfies it, and so does
 * {@link InMemoryNativeResidencySet} for tests and browsers).
 *
 * Semantics follow Metal's `MTLResidencySet`: `add` and `remove` are staged natively and take
 * effect at the next `commit`; `removeAll` stages the removal of every member.
 *
 * @typeParam B - the native buffer type the set holds.
 */
export interface NativeResidencySetLike<B> {
  /** Stages the addition of one allocation. */
  add(buffer: B): void;
  /** Stages the removal of one allocation. */
  remove(buffer: B): void;
  /** Stages the removal of every allocation. */
  removeAll(): void;
  /** Applies every staged addition and removal. */
  commit(): void;
  /** Asks the driver to make the set's allocations resident. */
  requestResidency(): void;
  /** Ends a residency request. */
  endResidency(): void;
  /** Allocations in the set, as the native side counts them. */
  readonly allocationCount: number;
  /** Commits the native side has performed. */
  readonly commitCount: number;
  /** Frees the native set. */
  destroy(): void;
}
