import {
  BucketPool,
  type BucketPoolStats,
  type Fence,
  type SizePolicy,
  type Slot,
} from "@mlx/bucket-pool";

/**
 * The one place this package touches `BucketPool`: free lists keyed by (size class, usage), with
 * the usage as the pool's source, so a buffer only ever serves requests of its own usage flags.
 */
export interface SlotStoreOptions {
  allocate(capacity: number, usage: number): GPUBuffer;
  destroy(buffer: GPUBuffer): void;
  policy: SizePolicy;
  maxFreeBytes: number | undefined;
  maxHeldBytes: number | undefined;
  maxBuffers: number | undefined;
}

export type GpuSlot = Slot<GPUBuffer>;

export class SlotStore {
  private readonly pool: BucketPool<GPUBuffer, number>;

  constructor(options: SlotStoreOptions) {
    this.pool = new BucketPool<GPUBuffer, number>({
      label: "WebGpuBufferPool",
      allocate: (capacity, usage) => options.allocate(capacity, usage),
      destroy: (buffer) => options.destroy(buffer),
      policy: options.policy,
      maxFreeBytes: options.maxFreeBytes,
      maxHeldBytes: options.maxHeldBytes,
      maxBuffers: options.maxBuffers,
    });
  }

  get policyName(): string {
    return this.pool.policy.name;
  }

  /** `byteLength` already checked. */
  acquire(byteLength: number, usage: number): GpuSlot {
    return this.pool.acquirePrechecked(byteLength, usage);
  }

  isLive(slot: GpuSlot, generation: number): boolean {
    return this.pool.isLive(slot, generation);
  }

  release(slot: GpuSlot, generation: number, after: Fence | undefined): void {
    this.pool.release(slot, generation, after);
  }

  reset(after: Fence | undefined): void {
    this.pool.reset(after);
  }

  clear(): number {
    return this.pool.clear();
  }

  dispose(): void {
    this.pool.dispose();
  }

  stats(): BucketPoolStats {
    return this.pool.stats();
  }
}
