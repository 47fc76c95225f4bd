import type { TraceOp } from "./trace.js";

/** What a trace's ops do: demo and replay each bind them to a pool or a device. */
export interface TraceActions<B> {
  /** `["a", id, bytes]`: a buffer of `bytes` bytes. */
  alloc(bytes: number): B;
  /** `["f", id]`: the buffer of that id, which is live. */
  free(buffer: B): void;
  /** `["r"]`: every live buffer returned; without it, reset ops are skipped. */
  reset?: () => void;
  /** Called after every op, for per-op bookkeeping (charts). */
  afterOp?: () => void;
}

/**
 * Plays one step of a validated trace. `live` maps ids to buffers and carries over between
 * steps; a free of an id that is not live (returned by an earlier reset) is skipped. What is
 * still in `live` at the end is the caller's to return.
 */
export function playStep<B>(
  step: readonly TraceOp[],
  live: Map<number, B>,
  actions: TraceActions<B>,
): void {
  for (const op of step) {
    if (op[0] === "a") {
      live.set(op[1], actions.alloc(op[2]));
    } else if (op[0] === "f") {
      const buffer = live.get(op[1]);
      if (buffer !== undefined) {
        live.delete(op[1]);
        actions.free(buffer);
      }
    } else if (actions.reset !== undefined) {
      actions.reset();
      live.clear();
    }
    actions.afterOp?.();
  }
}
