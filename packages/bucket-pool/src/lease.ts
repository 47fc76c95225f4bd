import type { BucketPool, Fence } from "./bucket-pool.js";
import { MlxError } from "./errors.js";
import type { Slot } from "./slot.js";

/**
 * A handle on one slot for one lease. It goes stale when the lease ends (release, reset, clear of
 * the pool, dispose); a stale lease's `handle` throws `STALE_BUFFER` instead of aliasing the next
 * user's memory.
 */
export class Lease<H, Source = number> {
  readonly byteLength: number;
  private readonly pool: BucketPool<H, Source>;
  private readonly slot: Slot<H>;
  private readonly generation: number;

  /** Acquires `byteLength` bytes from `pool`, from `source` (a device; default 0). */
  constructor(pool: BucketPool<H, Source>, byteLength: number, source: Source = 0 as Source) {
    this.slot = pool.acquire(byteLength, source);
    this.pool = pool;
    this.generation = this.slot.generation;
    this.byteLength = byteLength;
  }

  get capacity(): number {
    return this.slot.capacity;
  }

  get stale(): boolean {
    return !this.pool.isLive(this.slot, this.generation);
  }

  /** The pooled handle; throws `STALE_BUFFER` once the lease has ended. */
  get handle(): H {
    if (!this.pool.isLive(this.slot, this.generation)) {
      throw new MlxError("STALE_BUFFER", "this lease ended (released, reset or disposed)", {
        value: this.generation,
      });
    }
    return this.slot.handle;
  }

  /** Ends this lease; see {@link BucketPool.release}. */
  release(after?: Fence): void {
    this.pool.release(this.slot, this.generation, after);
  }
}
