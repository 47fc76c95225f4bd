/** The trace format `mlx-pool replay` reads. */
export const TRACE_FORMAT = "mlx-pool-trace/1";

/** One operation: `["a", id, byteLength]`, `["f", id]` or `["r"]`. */
export type TraceOp = readonly ["a", number, number] | readonly ["f", number] | readonly ["r"];

/** An `mlx-pool-trace/1` document, as `MlxBufferPool.stopTrace()` returns it. */
export interface PoolTrace {
  format: typeof TRACE_FORMAT;
  description: string;
  /** One list of operations per step; every step but the last ends with the reset that ended it. */
  steps: TraceOp[][];
}

/**
 * Records a pool's operations as a trace: each lease gets a fresh id, a release names it, and a
 * reset ends the step. A release of a buffer leased before recording began is not recorded, so
 * the trace never frees an id it did not allocate.
 */
export class TraceRecorder {
  /** Keyed by what names the lease: its `MlxBuffer`, or its lease id. */
  private readonly ids = new Map<unknown, number>();
  private readonly steps: TraceOp[][] = [];
  private step: TraceOp[] = [];
  private nextId = 0;

  alloc(lease: unknown, byteLength: number): void {
    const id = this.nextId++;
    this.ids.set(lease, id);
    this.step.push(["a", id, byteLength]);
  }

  release(lease: unknown): void {
    const id = this.ids.get(lease);
    if (id === undefined) return;
    this.ids.delete(lease);
    this.step.push(["f", id]);
  }

  reset(): void {
    this.ids.clear();
    this.step.push(["r"]);
    this.steps.push(this.step);
    this.step = [];
  }

  /** The document so far; the step under way is included when it has operations. */
  finish(): PoolTrace {
    const steps = this.step.length > 0 ? [...this.steps, this.step] : [...this.steps];
    return {
      format: TRACE_FORMAT,
      description: `recorded by MlxBufferPool.startTrace(): ${steps.length} steps, ${this.nextId} allocations`,
      steps,
    };
  }
}
