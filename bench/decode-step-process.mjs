// One process of bench/decode-step.mjs: on the decode trace's sizes, the pooled hot path of
// @mlx/pool (alloc on a hit + its share of reset, handles kept as a caller keeps them until the
// step ends) next to a tight JavaScript floor and the peers' own buffer managers (TensorFlow.js's
// BufferManager, ONNX Runtime Web's GpuDataManager, on a fake GPU device, same sizes), in
// rotating order so that every ratio comes from the same process and moment; then the per-token
// tail of a ~700-allocation token. Prints one JSON line.
import { constants, PerformanceObserver } from "node:perf_hooks";
import { DType, MlxBufferPool, MlxDevice } from "../packages/pool/dist/index.js";
import { loadOrtGpuDataManager, loadTfjsBufferManager } from "../packages/webgpu/bench/peers.mjs";
import { FakeGpuDevice } from "./fake-gpu-device.mjs";
import { measure, measureAsync, quantile, tailOf, timeEach } from "./measure.mjs";
import { decodeSizes, tokenSizes } from "./trace-sizes.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const backend = arg("--backend", "host");
const rounds = Number(arg("--rounds", "9"));
const tokens = Number(arg("--tokens", "3000"));
const allocsPerToken = Number(arg("--allocs-per-token", "700"));
const USAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST

/**
 * The floor: what any pool must at least do per alloc in JavaScript. A log2 class index, an
 * array pop from that class's free list, a push onto the in-use list, and a fresh two-field
 * wrapper (a lease the caller keeps); reset pushes everything back.
 */
class FloorLease {
  constructor(slot, byteLength) {
    this.slot = slot;
    this.byteLength = byteLength;
  }
}
function floorAllocator() {
  const free = Array.from({ length: 54 }, () => []);
  const inUse = [];
  return {
    alloc(n) {
      const c = n <= 1 ? 0 : 32 - Math.clz32(n - 1);
      const list = free[c];
      const slot = list.length > 0 ? list.pop() : { c, capacity: 2 ** c };
      inUse.push(slot);
      return new FloorLease(slot, n);
    },
    endStep() {
      for (let i = 0; i < inUse.length; i++) free[inUse[i].c].push(inUse[i]);
      inUse.length = 0;
    },
  };
}

/** Each allocator over `sizes`, one step at a time, handles kept in `held` until the step ends. */
function steppers(sizes, BufferManager, createGpuDataManager) {
  const held = new Array(sizes.length);
  const shapes = sizes.map((n) => [n]);
  const u8 = DType.U8;
  const requests = sizes.map((n, i) => [n, u8, shapes[i]]);
  let batchHeld = held;
  const device = MlxDevice.open({ backend });
  const pool = new MlxBufferPool();
  const ids = pool.leaseIds();
  // Lease ids are numbers: kept in an array of their own, as a caller keeps them.
  const idsHeld = new Array(sizes.length).fill(0);
  const floor = floorAllocator();
  const tfjsDevice = new FakeGpuDevice();
  const tfjs = new BufferManager(tfjsDevice);
  const ortDevice = new FakeGpuDevice();
  const ort = createGpuDataManager({ device: ortDevice, sessionStatus: "default" });
  const n = sizes.length;
  return {
    device,
    pool,
    /** Reads what the batch step kept, so that V8 cannot drop it. */
    batchKept: () => batchHeld.length,
    peers: { tfjs: tfjsDevice, ort: ortDevice },
    steps: {
      floor() {
        for (let i = 0; i < n; i++) held[i] = floor.alloc(sizes[i]);
        floor.endStep();
      },
      "@mlx/pool"() {
        for (let i = 0; i < n; i++) held[i] = pool.alloc(device, sizes[i], u8, shapes[i]);
        pool.reset();
      },
      "@mlx/pool leaseIds"() {
        for (let i = 0; i < n; i++) idsHeld[i] = ids.alloc(device, sizes[i]);
        pool.reset();
      },
      "@mlx/pool allocBatch"() {
        batchHeld = pool.allocBatch(device, requests);
        pool.reset();
      },
      "tfjs BufferManager"() {
        for (let i = 0; i < n; i++) held[i] = tfjs.acquireBuffer(sizes[i], USAGE);
        for (let i = 0; i < n; i++) tfjs.releaseBuffer(held[i]);
      },
      "ORT GpuDataManager"() {
        for (let i = 0; i < n; i++) held[i] = ort.create(sizes[i], USAGE);
        for (let i = 0; i < n; i++) ort.release(held[i].id);
        ort.refreshPendingBuffers();
      },
    },
  };
}

const [BufferManager, createGpuDataManager] = [
  await loadTfjsBufferManager(),
  await loadOrtGpuDataManager(),
];

// Part 1: ns per alloc on the real decode step, every allocator side by side.
const sizes = decodeSizes();
const side = steppers(sizes, BufferManager, createGpuDataManager);
const names = Object.keys(side.steps);
for (const name of names) for (let w = 0; w < 200; w++) side.steps[name]();
const createdBefore = { tfjs: side.peers.tfjs.created, ort: side.peers.ort.created };
const missesBefore = side.pool.stats().misses;
const perRound = Object.fromEntries(names.map((name) => [name, []]));
const stepsPerSample = 50;
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length];
    const step = side.steps[name];
    const m = measure(
      () => {
        for (let s = 0; s < stepsPerSample; s++) step();
        return stepsPerSample * sizes.length;
      },
      { warmup: 2, samples: 7 },
    );
    perRound[name].push(m.median);
  }
}
let missesInTimedLoop = side.pool.stats().misses - missesBefore;
const peerMisses = {
  tfjs: side.peers.tfjs.created - createdBefore.tfjs,
  ort: side.peers.ort.created - createdBefore.ort,
};
const ratioPerRound = (a, b) => perRound[a].map((x, i) => x / perRound[b][i]);
const nsPerAlloc = Object.fromEntries(names.map((name) => [name, quantile(perRound[name], 0.5)]));
const ratios = {
  poolOverFloor: quantile(ratioPerRound("@mlx/pool", "floor"), 0.5),
  tfjsOverPool: quantile(ratioPerRound("tfjs BufferManager", "@mlx/pool"), 0.5),
  ortOverPool: quantile(ratioPerRound("ORT GpuDataManager", "@mlx/pool"), 0.5),
  allocBatchOverAlloc: quantile(ratioPerRound("@mlx/pool allocBatch", "@mlx/pool"), 0.5),
  leaseIdsOverFloor: quantile(ratioPerRound("@mlx/pool leaseIds", "floor"), 0.5),
  leaseIdsOverAlloc: quantile(ratioPerRound("@mlx/pool leaseIds", "@mlx/pool"), 0.5),
};

// Part 1b: reset({ after }) against a plain reset, each step awaited alike so that fenced slots
// settle (and return to the free lists) before the next step, in alternating samples.
// A fence's fixed cost per reset (its then-callbacks and a microtask) weighs less in a longer
// step: measured on the decode step and on a ~700-allocation token.
const settled = Promise.resolve();
const fence = { after: settled };
async function fencedOverPlain(stepSizes) {
  const n = stepSizes.length;
  const shapesOf = stepSizes.map((x) => [x]);
  const held = new Array(n);
  const resetSteps = async (fenced) => {
    for (let s = 0; s < stepsPerSample; s++) {
      for (let i = 0; i < n; i++)
        held[i] = side.pool.alloc(side.device, stepSizes[i], DType.U8, shapesOf[i]);
      if (fenced) side.pool.reset(fence);
      else side.pool.reset();
      await settled;
      await settled;
    }
    return stepsPerSample * n;
  };
  await resetSteps(false); // the step's own sizes, allocated before anything is timed
  const missesBeforeTimed = side.pool.stats().misses;
  const resetNs = { plain: [], fenced: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? ["plain", "fenced"] : ["fenced", "plain"]) {
      const m = await measureAsync(() => resetSteps(name === "fenced"), { warmup: 2, samples: 7 });
      resetNs[name].push(m.median);
    }
  }
  return {
    ratio: quantile(
      resetNs.fenced.map((x, i) => x / resetNs.plain[i]),
      0.5,
    ),
    fenced: quantile(resetNs.fenced, 0.5),
    plain: quantile(resetNs.plain, 0.5),
    timedMisses: side.pool.stats().misses - missesBeforeTimed,
  };
}
const resetStep = await fencedOverPlain(sizes);
ratios.fencedOverPlainReset = resetStep.ratio;
nsPerAlloc["@mlx/pool, reset({ after }) awaited"] = resetStep.fenced;
nsPerAlloc["@mlx/pool, reset() awaited"] = resetStep.plain;
const resetToken = await fencedOverPlain(tokenSizes(allocsPerToken));
ratios.fencedOverPlainResetToken = resetToken.ratio;
missesInTimedLoop += resetStep.timedMisses + resetToken.timedMisses;
if (side.batchKept() !== sizes.length) throw new Error("allocBatch returned a short batch");
side.pool.dispose();
side.device.dispose();

// Part 2: the per-token tail at ~700 allocations per token, GC counted while it runs.
const token = tokenSizes(allocsPerToken);
const tail = steppers(token, BufferManager, createGpuDataManager);
/** Times `step` once per token, counting the collections that run meanwhile. */
async function tokenTailOf(step) {
  const gc = { minor: 0, major: 0, ns: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      else if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor++;
      gc.ns += entry.duration * 1e6;
    }
  });
  for (let w = 0; w < 500; w++) step();
  observer.observe({ entryTypes: ["gc"] });
  const times = timeEach(step, tokens);
  await new Promise((resolve) => setTimeout(resolve, 100));
  observer.disconnect();
  return { tail: tailOf(times), gc, totalNs: times.reduce((a, b) => a + b, 0) };
}
const byHandle = await tokenTailOf(tail.steps["@mlx/pool"]);
const tokenTail = byHandle.tail;
const gc = byHandle.gc;
const tokenTotalNs = byHandle.totalNs;
// The same token by lease id: no handle per lease, so nothing for a collector to do.
const byId = await tokenTailOf(tail.steps["@mlx/pool leaseIds"]);
// The control: the floor's own token, timed alike. Its tail is the machine's (the scheduler,
// interrupts), not a pool's.
const floorStep = tail.steps.floor;
for (let w = 0; w < 500; w++) floorStep();
const floorTail = tailOf(timeEach(floorStep, tokens));
tail.pool.dispose();
tail.device.dispose();

console.log(
  JSON.stringify({
    backend: side.device.backend,
    allocsPerStep: sizes.length,
    rounds,
    nsPerAlloc,
    ratios,
    missesInTimedLoop,
    peerCreateBuffersInTimedLoop: peerMisses,
    token: {
      allocsPerToken: token.length,
      tokens,
      ns: tokenTail,
      p99OverMedian: tokenTail.p99 / tokenTail.median,
      floorP99OverMedian: floorTail.p99 / floorTail.median,
      gc,
      gcShareOfTime: gc.ns / tokenTotalNs,
      byLeaseId: {
        ns: byId.tail,
        p99OverMedian: byId.tail.p99 / byId.tail.median,
        gc: byId.gc,
        gcShareOfTime: byId.gc.ns / byId.totalNs,
      },
    },
  }),
);
