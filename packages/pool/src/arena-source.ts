import { ArenaPool } from "@mlx/bucket-pool";
import { describeValue, MlxError } from "@mlx/errors";
import type { NativeAllocOptions } from "@mlx/metal-native";
import type { DeviceMemory, NativeAllocation } from "./device-memory.js";
import type { LeaseStore } from "./lease-store.js";
import type { ArenaOptions, PoolOptions } from "./options.js";

/** The policy name that selects sub-allocation. */
export const ARENA_POLICY = "arena";

/** How the arena path makes and frees slabs: the pool's own fresh-allocation path. */
export interface SlabCallbacks {
  allocate(
    bytes: number,
    memory: DeviceMemory,
    inBatch: boolean,
    options: NativeAllocOptions | undefined,
  ): NativeAllocation;
  free(allocation: NativeAllocation): void;
  onFenceSettled(): void;
}

/** How an arena's slabs are allocated: Metal's hazard tracking on (default) or off. */
export type SlabHazardTracking = "tracked" | "untracked";

const ARENA_OPTION_NAMES = [
  "alignment",
  "minSlabBytes",
  "maxSlabBytes",
  "slabHeldDivisor",
  "freedBlockReuse",
  "untrackedSlabs",
] as const satisfies readonly (keyof ArenaOptions)[];

/** The native options of an untracked slab (one object for every slab). */
const UNTRACKED_SLAB: NativeAllocOptions = Object.freeze({ hazardTracking: "untracked" });

/**
 * The store of `policy: "arena"`: buffers are ranges of slabs, each slab one native allocation
 * (zero-filled, one residency entry). A buffer's `byteOffset` is its range's offset in the slab.
 */
export function arenaStore(
  label: string,
  options: PoolOptions,
  slabs: SlabCallbacks,
  poisonByte: number | undefined,
): { store: LeaseStore; slabHazardTracking: SlabHazardTracking } {
  const { untrackedSlabs, ...arena } = arenaOptionsOf(options.arena);
  const slabOptions = untrackedSlabs ? UNTRACKED_SLAB : undefined;
  const store = new ArenaPool<NativeAllocation, DeviceMemory>({
    label,
    ...arena,
    maxFreeBytes: options.maxFreeBytes,
    maxBuffers: options.maxBuffers,
    maxHeldBytes: options.maxHeldBytes,
    reuseLargerRatio: options.reuseLargerRatio,
    maxHeldRatio: options.maxHeldRatio,
    allocateSlab: (bytes, memory, inBatch) => slabs.allocate(bytes, memory, inBatch, slabOptions),
    freeSlab: (allocation) => slabs.free(allocation),
    onFenceSettled: () => slabs.onFenceSettled(),
    onRecycle:
      poisonByte === undefined
        ? undefined
        : (allocation, offset, size) => {
            const contents = allocation.contents();
            if (contents !== null) new Uint8Array(contents, offset, size).fill(poisonByte);
          },
  });
  return { store, slabHazardTracking: untrackedSlabs ? "untracked" : "tracked" };
}

/** The `arena` option, checked: an object of known names only. */
function arenaOptionsOf(arena: ArenaOptions | undefined): ArenaOptions {
  if (arena === undefined) return {};
  if (typeof arena !== "object" || arena === null) {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `MlxBufferPool: arena must be an object, got ${describeValue(arena)}`,
      { value: arena },
    );
  }
  for (const key of Object.keys(arena)) {
    if (!(ARENA_OPTION_NAMES as readonly string[]).includes(key)) {
      throw new MlxError(
        "INVALID_ARGUMENT",
        `MlxBufferPool: unknown arena option ${JSON.stringify(key)}; known: ${ARENA_OPTION_NAMES.join(", ")}`,
        { value: key },
      );
    }
  }
  const untracked = arena.untrackedSlabs;
  if (untracked !== undefined && typeof untracked !== "boolean") {
    throw new MlxError(
      "INVALID_ARGUMENT",
      `MlxBufferPool: arena.untrackedSlabs must be a boolean, got ${describeValue(untracked)}`,
      { value: untracked },
    );
  }
  return arena;
}
