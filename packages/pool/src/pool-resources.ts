import { BucketPool, limitsOf, type SizePolicy, sizePolicyByName } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import { ResidencyBinding } from "@mlx/residency";
import { ARENA_POLICY, arenaStore } from "./arena-source.js";
import type { DeviceMemory, NativeAllocation } from "./device-memory.js";
import type { LeaseStore } from "./lease-store.js";
import {
  checkMemoryLimit,
  enforceCacheLimit,
  limits,
  livePools,
  type PoolMemory,
} from "./memory-registry.js";
import type { PoolOptions } from "./options.js";

/** How the pool's error messages name it. */
export const POOL_LABEL = "MlxBufferPool";

/**
 * Everything an `MlxBufferPool` owns, kept apart from the pool object so that a
 * FinalizationRegistry can free it when a pool is dropped without `dispose()`: nothing here
 * refers back to the pool.
 */
export class PoolResources implements PoolMemory {
  /** Size classes (`BucketPool`) or, under `policy: "arena"`, ranges of slabs (`ArenaPool`). */
  readonly buckets: LeaseStore;
  readonly devices = new Set<DeviceMemory>();
  lastReturn = 0;
  /** The device memory whose residency set this pool registers into (one per pool). */
  readonly residency = new ResidencyBinding<DeviceMemory>({ context: POOL_LABEL });
  disposed = false;
  residencyCommits = 0;

  constructor(options: PoolOptions) {
    const poisonByte = poisonByteOf(options.poison ?? process.env.MLX_POOL_POISON === "1");
    if (options.policy === ARENA_POLICY) {
      this.buckets = arenaStore(
        POOL_LABEL,
        options,
        {
          allocate: (bytes, memory, inBatch) => this.allocateFresh(bytes, memory, inBatch),
          free: (allocation) => allocation.memory.free(allocation),
          onFenceSettled: () => this.commitResidency(),
        },
        poisonByte,
      );
      return;
    }
    if (options.arena !== undefined) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxBufferPool: the arena option needs policy "arena", got policy ${describeValue(options.policy)}`,
        { value: options.policy },
      );
    }
    const policy: SizePolicy | undefined =
      typeof options.policy === "string" ? sizePolicyByName(options.policy) : options.policy;
    this.buckets = new BucketPool<NativeAllocation, DeviceMemory>({
      label: POOL_LABEL,
      allocate: (capacity, memory, inBatch) => this.allocateFresh(capacity, memory, inBatch),
      destroy: (allocation) => allocation.memory.free(allocation),
      onRecycle:
        poisonByte === undefined
          ? undefined
          : (allocation) => {
              const contents = allocation.contents();
              if (contents !== null) new Uint8Array(contents).fill(poisonByte);
            },
      onFenceSettled: () => {
        this.commitResidency();
        if (limits.cacheLimited) enforceCacheLimit();
      },
      policy,
      ...limitsOf(options),
    });
    livePools.add(this);
  }

  evictFree(bytes: number): number {
    const freed = this.buckets.evictFree(bytes);
    this.commitResidency();
    return freed;
  }

  clear(): void {
    this.buckets.clear();
    this.commitResidency();
  }

  /** Commits what this pool staged (one commit at most) and frees what that removal allowed. */
  commitResidency(): void {
    if (this.residency.set?.flushResidency() === true) this.residencyCommits++;
  }

  /** Frees everything (one residency commit); pending slots when their fence settles. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    livePools.delete(this);
    // The binding stays: slots behind a pending fence are freed when it settles, through it.
    this.buckets.dispose();
    this.commitResidency();
  }

  /**
   * A fresh allocation. Outside a batch, what eviction just staged is committed and freed
   * before asking for more memory, and the new buffer is committed at once; a batch commits
   * once, at its end.
   */
  private allocateFresh(
    capacity: number,
    memory: DeviceMemory,
    inBatch: boolean,
  ): NativeAllocation {
    checkMemoryLimit(POOL_LABEL, capacity);
    if (!inBatch) this.commitResidency();
    const before = memory.residency?.commitCount ?? 0;
    const allocation = memory.allocate(capacity, !inBatch);
    this.residencyCommits += (memory.residency?.commitCount ?? 0) - before;
    this.devices.add(memory);
    return allocation;
  }
}

/** Frees the resources of a pool dropped without `dispose()`: a safety net, not the plan. */
export const droppedPools = new FinalizationRegistry<PoolResources>((resources) =>
  resources.dispose(),
);

function poisonByteOf(poison: boolean | number): number | undefined {
  if (poison === false) return undefined;
  if (poison === true) return 0xa5;
  if (Number.isInteger(poison) && poison >= 0 && poison <= 255) return poison;
  throw new MlxError(
    "INVALID_ARGUMENT",
    `poison must be a boolean or a byte, got ${describeValue(poison)}`,
    { value: poison },
  );
}
