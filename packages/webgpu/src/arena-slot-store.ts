import {
  type ArenaBlock,
  ArenaPool,
  type BucketPoolStats,
  type Fence,
  kDefaultMaxSlabBytes,
  kSlabRoundBytes,
  type SizePolicy,
} from "@mlx/bucket-pool";

/** What the arena store needs: how to make and free slabs, the device's limits, the pool's. */
export interface ArenaSlotStoreOptions {
  allocate(bytes: number, usage: number): GPUBuffer;
  destroy(buffer: GPUBuffer): void;
  /** Every binding offset is a multiple of this (the device's offset alignments, at least 256). */
  alignment: number;
  /** The device's `maxBufferSize`: no slab is larger. */
  maxBufferSize: number;
  maxFreeBytes: number | undefined;
  maxHeldBytes: number | undefined;
  maxBuffers: number | undefined;
}

export type ArenaGpuSlot = ArenaBlock<GPUBuffer>;

/**
 * `policy: "arena"`: leases are ranges of a few large GPUBuffers (slabs), one arena per usage,
 * so a range only ever serves requests of its own usage flags. A lease binds its slab at
 * `byteOffset`, a multiple of the device's `minStorageBufferOffsetAlignment` and
 * `minUniformBufferOffsetAlignment`.
 */
export class ArenaSlotStore {
  readonly policy: SizePolicy;
  private readonly pool: ArenaPool<GPUBuffer, number>;

  constructor(options: ArenaSlotStoreOptions) {
    const largest = Math.floor(options.maxBufferSize / kSlabRoundBytes) * kSlabRoundBytes;
    this.pool = new ArenaPool<GPUBuffer, number>({
      label: "WebGpuBufferPool",
      alignment: options.alignment,
      maxSlabBytes: Math.min(kDefaultMaxSlabBytes, largest),
      minSlabBytes: Math.min(1 << 20, largest),
      allocateSlab: (bytes, usage) => options.allocate(bytes, usage),
      freeSlab: (buffer) => options.destroy(buffer),
      maxFreeBytes: options.maxFreeBytes,
      maxHeldBytes: options.maxHeldBytes,
      maxBuffers: options.maxBuffers,
    });
    this.policy = this.pool.policy;
  }

  get policyName(): string {
    return this.pool.policy.name;
  }

  /** `byteLength` already checked. */
  acquire(byteLength: number, usage: number): ArenaGpuSlot {
    return this.pool.acquirePrechecked(byteLength, usage);
  }

  isLive(slot: ArenaGpuSlot, generation: number): boolean {
    return this.pool.isLive(slot, generation);
  }

  release(slot: ArenaGpuSlot, generation: number, after: Fence | undefined): void {
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
