import {
  BucketPool,
  disposedError,
  limitsOf,
  type SizePolicy,
  sizePolicyByName,
} from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import type { NativeAllocOptions } from "@mlx/metal-native";
import { ResidencyBinding } from "@mlx/residency";
import { ARENA_POLICY, arenaStore, type SlabHazardTracking } from "./arena-source.js";
import type { DeviceMemory, NativeAllocation } from "./device-memory.js";
import { BlockOwner, leaseIdSpace } from "./lease-id-space.js";
import type { LeaseStore } from "./lease-store.js";
import { EndingViews } from "./lease-views.js";
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
  /** `PoolOptions.strictViews`: every lease gets its own detachable view. */
  readonly strictViews: boolean;
  /** True while `allocBatch` runs: the pool refuses to be re-entered from the caller's code. */
  batching = false;
  /** Under `policy: "arena"`: how its slabs are allocated (`ArenaOptions.untrackedSlabs`). */
  readonly slabHazardTracking: SlabHazardTracking | undefined;
  /** Allocations of this pool registered in the bound set: the binding lasts while any is. */
  private boundMembers = 0;
  /** The lease id entries this pool's `LeaseIds` holds; given back at dispose. */
  readonly leaseIdBlocks = new BlockOwner();
  /** Whether `registerExisting` registered into the bound set (which then stays bound). */
  private boundByExisting = false;

  constructor(options: PoolOptions) {
    const poisonByte = poisonByteOf(options.poison ?? process.env.MLX_POOL_POISON === "1");
    const arena = options.policy === ARENA_POLICY;
    this.strictViews = strictViewsOf(
      options.strictViews ?? process.env.MLX_POOL_STRICT_VIEWS === "1",
    );
    if (arena) {
      const store = arenaStore(
        POOL_LABEL,
        options,
        {
          allocate: (bytes, memory, inBatch, slabOptions) =>
            this.allocateFresh(bytes, memory, inBatch, slabOptions),
          free: (allocation) => allocation.memory.free(allocation),
          onFenceSettled: () => this.commitResidency(),
        },
        poisonByte,
      );
      this.buckets = store.store;
      this.slabHazardTracking = store.slabHazardTracking;
      livePools.add(this);
      return;
    }
    this.slabHazardTracking = undefined;
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
      admitFresh: (capacity, byteLength, memory) => checkClassFits(capacity, byteLength, memory),
      destroy: (allocation) => {
        if (allocation.registered && allocation.memory === this.residency.set) this.boundMembers--;
        allocation.memory.free(allocation);
      },
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

  /**
   * Throws `DISPOSED` once disposed, and `INVALID_ARGUMENT` while `allocBatch` runs (the pool
   * called back from a request's getter or proxy).
   */
  checkOpen(where: string): void {
    if (this.disposed) throw disposedError(where, POOL_LABEL);
    if (this.batching) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `${where}: the pool is in the middle of allocBatch (called from a getter or proxy of a request?); call it after allocBatch returns`,
        { value: where },
      );
    }
  }

  evictFree(bytes: number): number {
    // Mid-`allocBatch` (a cache limit set from a request's getter) the lists are not to be
    // touched: the limit is enforced at the pool's next return instead.
    if (this.batching) return 0;
    const freed = this.buckets.evictFree(bytes);
    this.commitResidency();
    return freed;
  }

  clear(): void {
    if (this.batching) return;
    this.buckets.clear();
    this.commitResidency();
  }

  /**
   * Commits what this pool staged (one commit at most) and frees what that removal allowed.
   * Once the pool holds no member of the bound set, the binding lapses: another device's set
   * may be used from then on.
   */
  commitResidency(): void {
    const bound = this.residency.set;
    if (bound === undefined) return;
    if (bound.flushResidency()) this.residencyCommits++;
    if (this.boundMembers === 0 && !this.boundByExisting) this.residency.forget();
  }

  /** {@link commitResidency} where an error is already on its way to the caller. */
  commitResidencyQuietly(): void {
    try {
      this.commitResidency();
    } catch {
      // The error in flight is the one the caller sees; the changes stay staged for later.
    }
  }

  /** `registerExisting` registered a buffer of `memory`'s set: the pool is bound to it. */
  bindExisting(memory: DeviceMemory): void {
    if (this.residency.set !== memory) this.bindTo(memory);
    this.boundByExisting = true;
  }

  /**
   * Frees everything (one residency commit); pending slots when their fence settles. Under
   * `strictViews` every live lease's view is detached now, also where a pending fence keeps
   * its memory (a slab) allocated for a while.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    livePools.delete(this);
    leaseIdSpace.releaseBlocks(this.leaseIdBlocks);
    const ending = this.strictViews ? new EndingViews() : null;
    if (ending !== null) this.buckets.forEachInUse((slot) => ending.add(slot));
    // The binding stays: slots behind a pending fence are freed when it settles, through it.
    try {
      this.buckets.dispose();
    } finally {
      ending?.detach();
    }
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
    nativeOptions?: NativeAllocOptions,
  ): NativeAllocation {
    checkMemoryLimit(POOL_LABEL, capacity);
    if (!inBatch) this.commitResidency();
    const before = memory.residency?.commitCount ?? 0;
    const allocation = memory.allocate(capacity, !inBatch, nativeOptions);
    this.residencyCommits += (memory.residency?.commitCount ?? 0) - before;
    this.devices.add(memory);
    if (allocation.registered) {
      if (this.residency.set !== memory) this.bindTo(memory);
      this.boundMembers++;
    }
    return allocation;
  }

  /** Binds to a new set (the pool's admission checked it may); members are counted from 0. */
  private bindTo(memory: DeviceMemory): void {
    this.residency.bind(memory);
    this.boundMembers = 0;
    this.boundByExisting = false;
  }
}

/**
 * Frees the resources of a pool dropped without `dispose()`: a safety net, not the plan. A
 * throw here would be an uncaught exception with no caller to see it (fatal in Node), so an
 * error is reported as a process warning instead.
 */
export const droppedPools = new FinalizationRegistry<PoolResources>((resources) => {
  try {
    resources.dispose();
  } catch (error) {
    reportDroppedPoolError(error);
  }
});

/** How a dropped pool's failed cleanup is reported (a process warning). */
function reportDroppedPoolError(error: unknown): void {
  try {
    process.emitWarning(
      `a dropped MlxBufferPool could not free everything: ${error instanceof Error ? error.message : String(error)}`,
      { code: "MLX_POOL_DROPPED_CLEANUP" },
    );
  } catch {
    // Nothing can be done from a finalizer; the warning itself must not throw either.
  }
}

/**
 * `admitFresh`: a length the device accepts can have a size class it cannot allocate (pow2
 * above half the maximum): refused before anything changes, naming the requested length.
 */
function checkClassFits(capacity: number, byteLength: number, memory: DeviceMemory): void {
  const max = memory.native.maxBufferLength;
  if (capacity <= max) return;
  throw new MlxError(
    "INVALID_ARGUMENT",
    `byteLength ${byteLength} fits the device's maximum buffer length ${max}, but its size class ${capacity} does not: use device.allocBuffer for an exact-size buffer, or a policy with finer classes`,
    { value: byteLength },
  );
}

function strictViewsOf(strict: unknown): boolean {
  if (typeof strict === "boolean") return strict;
  throw new MlxError(
    "INVALID_ARGUMENT",
    `strictViews must be a boolean, got ${describeValue(strict)}`,
    { value: strict },
  );
}

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
