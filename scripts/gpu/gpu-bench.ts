// The GPU benchmark: pooled alloc + reset vs. direct allocation on one real decode step (the
// sample trace's step 5), handles kept as a caller keeps them until the step ends, on every
// backend available, plus raw cudaMallocManaged/cudaMalloc + cudaFree loops of the same sizes
// measured natively by the CUDA test addon. Reports the goal ratio, cudaMalloc+cudaFree over
// the pooled hit (>= 200x) with an MlxBuffer handle and by lease id, and the JavaScript floor
// that bounds a pool handing out handles. Prints one JSON object.
// Run: node gpu-bench.mjs [trace] [host,cuda,cuda-no-residency]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Measurement, measure, spreadOf } from "../../packages/cli/src/timing.js";
import { DType, MlxBufferPool, MlxDevice } from "../../packages/pool/src/index.js";

type Spread = Measurement;
const measureNs = measure;

const tracePath = process.argv[2] ?? "packages/cli/fixtures/decode-mistral-small.json";
const trace = JSON.parse(readFileSync(tracePath, "utf8")) as {
  steps: [string, number, number][][];
};
const sizes = (trace.steps[5] ?? []).filter((op) => op[0] === "a").map((op) => op[2]);

type BenchBackend = "host" | "cuda" | "cuda-no-residency";

function benchBackend(name: BenchBackend) {
  const backend = name === "host" ? "host" : "cuda";
  const device = MlxDevice.open({ backend, residency: name !== "cuda-no-residency" });
  const pool = new MlxBufferPool();
  const shapes = sizes.map((n) => [n]);
  for (let i = 0; i < sizes.length; i++)
    pool.alloc(device, sizes[i] as number, DType.U8, shapes[i] as number[]);
  pool.reset();
  const rounds = 200;
  const held: unknown[] = new Array(sizes.length);
  const pooledSteps = () => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < sizes.length; i++)
        held[i] = pool.alloc(device, sizes[i] as number, DType.U8, shapes[i] as number[]);
      pool.reset();
    }
    return rounds * sizes.length;
  };
  const pooled = measureNs(pooledSteps);
  // The same step by lease id (LeaseIds.alloc): no handle per lease, ids kept as numbers.
  const ids = pool.leaseIds();
  const idsHeld: number[] = new Array<number>(sizes.length).fill(0);
  const idSteps = () => {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < sizes.length; i++) idsHeld[i] = ids.alloc(device, sizes[i] as number);
      pool.reset();
    }
    return rounds * sizes.length;
  };
  const byId = measureNs(idSteps);
  // The first measurement again, later in the process: a gap between the two is warm-up or the
  // machine, not the pool.
  const pooledAgain = measureNs(pooledSteps);
  const direct = measureNs(
    () => {
      const held = sizes.map((n, i) => device.allocBuffer(n, DType.U8, shapes[i] as number[]));
      for (const b of held) b.dispose();
      return sizes.length;
    },
    { warmup: 2, samples: 9 },
  );
  const sideBySide = backend === "cuda" ? sideBySideRatios(pooledSteps, idSteps) : null;
  const misses = pool.stats().misses;
  pool.dispose();
  const result = {
    backend: name,
    device: device.name,
    residency: device.residencySetsEnabled,
    pooledNsPerAlloc: pooled,
    leaseIdNsPerAlloc: byId,
    pooledAgainNsPerAlloc: pooledAgain,
    directNsPerAlloc: direct,
    directOverPooled: direct.median / pooled.median,
    sideBySide,
    missesDuringBench: misses,
  };
  device.dispose();
  return result;
}

interface CudaTestAddon {
  available(): { ok: boolean; reason: string | null };
  rawAllocBench(kind: "managed" | "device", sizes: number[], rounds: number): number[];
}

/** The CUDA test addon, or why it is not usable here. */
function cudaTestAddon(): CudaTestAddon | string {
  const path = process.env.MLX_CUDA_TEST_ADDON;
  if (path === undefined) return "MLX_CUDA_TEST_ADDON is not set";
  const addon = createRequire(import.meta.url)(path) as CudaTestAddon;
  const status = addon.available();
  return status.ok ? addon : (status.reason ?? "cuda unavailable");
}

/**
 * The goal's ratios measured side by side: each round times the pooled step, the step by lease
 * id, the floor and cudaMalloc/cudaMallocManaged + cudaFree of the same sizes back to back, and
 * divides within the round. This machine's speed drifts (a whole process, or a phase of one,
 * runs at half speed): ratios of figures taken seconds apart would mix two speeds.
 */
function sideBySideRatios(pooledSteps: () => number, idSteps: () => number) {
  const addon = cudaTestAddon();
  if (typeof addon === "string") return { skipped: addon };
  const floorSteps = floorStepper();
  const median = (xs: number[]) => spreadOf(xs).median;
  const mallocOverPooled: number[] = [];
  const mallocOverId: number[] = [];
  const mallocOverFloor: number[] = [];
  const managedOverPooled: number[] = [];
  for (let round = 0; round < 15; round++) {
    const pooled = measureNs(pooledSteps, { warmup: 1, samples: 5 }).median;
    const byId = measureNs(idSteps, { warmup: 1, samples: 5 }).median;
    const floor = measureNs(floorSteps, { warmup: 1, samples: 5 }).median;
    const malloc = median(addon.rawAllocBench("device", sizes, 3));
    const managed = median(addon.rawAllocBench("managed", sizes, 3));
    mallocOverPooled.push(malloc / pooled);
    mallocOverId.push(malloc / byId);
    mallocOverFloor.push(malloc / floor);
    managedOverPooled.push(managed / pooled);
  }
  return {
    rounds: 15,
    mallocOverPooled: spreadOf(mallocOverPooled),
    mallocOverId: spreadOf(mallocOverId),
    mallocOverFloor: spreadOf(mallocOverFloor),
    managedOverPooled: spreadOf(managedOverPooled),
  };
}

function rawCuda(): Record<string, Spread> | { skipped: string } {
  const addon = cudaTestAddon();
  if (typeof addon === "string") return { skipped: addon };
  const out: Record<string, Spread> = {};
  for (const kind of ["managed", "device"] as const) {
    addon.rawAllocBench(kind, sizes, 2); // warm-up
    const perRound = addon.rawAllocBench(kind, sizes, 15);
    out[kind] = { ...spreadOf(perRound), min: Math.min(...perRound), samples: perRound.length };
  }
  return out;
}

/**
 * What any JavaScript pool must at least do per alloc, on this host: a log2 class index, an
 * array pop and push, a fresh two-field wrapper kept as the caller keeps it (bench/decode-step's
 * floor). cudaMalloc+cudaFree over it bounds the ratio a pool handing out handles can reach.
 * Returns a sample of 200 steps for `measure`.
 */
function floorStepper(): () => number {
  const free: { c: number }[][] = Array.from({ length: 54 }, () => []);
  const inUse: { c: number }[] = [];
  const held: unknown[] = new Array(sizes.length);
  class FloorLease {
    constructor(
      readonly slot: { c: number },
      readonly byteLength: number,
    ) {}
  }
  const step = () => {
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i] as number;
      const c = n <= 1 ? 0 : 32 - Math.clz32(n - 1);
      const list = free[c] as { c: number }[];
      const slot = list.length > 0 ? (list.pop() as { c: number }) : { c };
      inUse.push(slot);
      held[i] = new FloorLease(slot, n);
    }
    for (const slot of inUse) (free[slot.c] as { c: number }[]).push(slot);
    inUse.length = 0;
  };
  step();
  return () => {
    for (let r = 0; r < 200; r++) step();
    return 200 * sizes.length;
  };
}

const floor = measureNs(floorStepper());
// The backends to measure (argv 3, comma-separated; default both). One per process gives each
// its own JIT feedback, as a program using one backend has.
const backendNames = (process.argv[3] ?? "host,cuda").split(",") as BenchBackend[];
const backends = backendNames.map((b) => {
  try {
    return benchBackend(b);
  } catch (error) {
    return { backend: b, skipped: (error as Error).message };
  }
});
const raw = rawCuda();
const cuda = backends.find((b) => b.backend === "cuda" && "pooledNsPerAlloc" in b) as
  | ReturnType<typeof benchBackend>
  | undefined;
/** The goal: a pooled hit at least this many times cheaper than cudaMalloc + cudaFree. */
const GOAL_CUDA_MALLOC_OVER_POOLED = 200;
const ratios =
  cuda !== undefined && !("skipped" in raw)
    ? {
        cudaMallocManagedOverPooled: (raw.managed as Spread).median / cuda.pooledNsPerAlloc.median,
        cudaMallocOverPooled: (raw.device as Spread).median / cuda.pooledNsPerAlloc.median,
        cudaMallocOverLeaseId: (raw.device as Spread).median / cuda.leaseIdNsPerAlloc.median,
        goalCudaMallocOverPooled: GOAL_CUDA_MALLOC_OVER_POOLED,
        cudaMallocOverFloor: (raw.device as Spread).median / floor.median,
        pooledOverFloor: cuda.pooledNsPerAlloc.median / floor.median,
        leaseIdOverFloor: cuda.leaseIdNsPerAlloc.median / floor.median,
        goalMet:
          (raw.device as Spread).median / cuda.pooledNsPerAlloc.median >=
          GOAL_CUDA_MALLOC_OVER_POOLED,
      }
    : null;
console.log(
  JSON.stringify(
    {
      trace: tracePath,
      step: 5,
      allocsPerStep: sizes.length,
      floorNsPerAlloc: floor,
      backends,
      rawCuda: raw,
      ratios,
    },
    null,
    2,
  ),
);
