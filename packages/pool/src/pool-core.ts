import {
  BucketPool,
  describeValue,
  MlxError,
  type SizePolicy,
  sizePolicyByName,
} from "@mlx/bucket-pool";
import type { NativeBuffer } from "@mlx/metal-native";
import { ResidencyBinding, type ResidencySet } from "@mlx/residency";
import type { Allocation } from "./allocation.js";
import type { MlxDevice } from "./device.js";
import type { PoolOptions } from "./options.js";

/**
 * Everything an `MlxBufferPool` owns, kept apart from the pool object so that a
 * FinalizationRegistry can free it when a pool is dropped without `dispose()`: nothing here
 * refers back to the pool.
 */
export class PoolCore {
  readonly buckets: BucketPool<Allocation>;
  readonly residency = new ResidencyBinding<ResidencySet<NativeBuffer>>();
  /** Device a fresh allocation goes to (set before each acquire). */
  allocDevice: MlxDevice | null = null;
  /** True while `allocBatch` defers the residency commit to its end. */
  batching = false;
  disposed = false;
  residencyCommits = 0;

  constructor(options: PoolOptions) {
    const policy: SizePolicy | undefined =
      typeof options.policy === "string" ? sizePolicyByName(options.policy) : options.policy;
    const poisonByte = poisonByteOf(options.poison ?? process.env.MLX_POOL_POISON === "1");
    this.buckets = new BucketPool<Allocation>({
      allocate: (capacity) => this.allocateFresh(capacity),
      destroy: (allocation) => allocation.device.release(allocation),
      onRecycle:
        poisonByte === undefined
          ? undefined
          : (allocation) => {
              if (allocation.contents !== null)
                new Uint8Array(allocation.contents).fill(poisonByte);
            },
      onFenceSettled: () => this.commitResidency(),
      policy,
      maxFreeBytes: options.maxFreeBytes,
      maxBuffers: options.maxBuffers,
      maxHeldBytes: options.maxHeldBytes,
      reuseLargerRatio: options.reuseLargerRatio,
      maxHeldRatio: options.maxHeldRatio,
    });
  }

  /** Commits what this pool staged (one commit at most) and frees what that removal allowed. */
  commitResidency(): void {
    const set = this.residency.set;
    if (set !== undefined && (set.owner as MlxDevice).flushResidency()) this.residencyCommits++;
  }

  /** Frees everything (one residency commit); pending slots when their fence settles. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // The binding stays: slots behind a pending fence are freed when it settles, through it.
    this.buckets.dispose();
    this.commitResidency();
    this.allocDevice = null;
  }

  private allocateFresh(capacity: number): Allocation {
    const device = this.allocDevice as MlxDevice;
    // Free what eviction just released before asking for more memory (not mid-batch: the batch
    // commits once, at its end).
    if (!this.batching) this.commitResidency();
    const before = device.residency?.commitCount ?? 0;
    const allocation = device.allocate(capacity, !this.batching);
    this.residencyCommits += (device.residency?.commitCount ?? 0) - before;
    return allocation;
  }
}

/** Frees the core of a pool that was dropped without `dispose()`: a safety net, not the plan. */
export const droppedPools = new FinalizationRegistry<PoolCore>((core) => core.dispose());

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
