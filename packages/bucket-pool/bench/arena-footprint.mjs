// Footprint of power-of-two classes (BucketPool, policy pow2) and of the slab arena on recorded
// traces (mlx-pool-trace/1), replayed with plain objects for native memory: no GPU needed.
// Run: pnpm --filter @mlx/bucket-pool build && node bench/arena-footprint.mjs [--json]
//        [--warmup-steps 3] [--slab-held-divisor 8] [--min-slab-bytes N]
//        [--freed-block-reuse merge-first|exact-first] [trace.json ...]
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BucketPool, SlabArena } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "../../cli/fixtures");

/**
 * Replays `trace` through `allocator` ({ alloc(n), free(handle), held(), natives, peak? }). Held
 * bytes are sampled after every op; an allocator's own peak counter, when it has one, also sees
 * the moment inside an op (a new slab made before free ones go) and wins when larger.
 */
export function replay(trace, allocator, warmupSteps) {
  const live = new Map();
  let liveBytes = 0;
  let peakLive = 0;
  let peakHeld = 0;
  let nativesAtPeak = 0;
  let peakNatives = 0;
  let freshAfterWarmup = 0;
  const free = (id) => {
    const entry = live.get(id);
    allocator.free(entry.handle);
    liveBytes -= entry.bytes;
    live.delete(id);
  };
  trace.steps.forEach((step, s) => {
    for (const op of step) {
      if (op[0] === "a") {
        const before = allocator.natives.made();
        live.set(op[1], { handle: allocator.alloc(op[2]), bytes: op[2] });
        if (s >= warmupSteps) freshAfterWarmup += allocator.natives.made() - before;
        liveBytes += op[2];
        if (liveBytes > peakLive) peakLive = liveBytes;
      } else if (op[0] === "f") {
        free(op[1]);
      } else {
        for (const id of [...live.keys()]) free(id);
      }
      const held = allocator.held();
      const natives = allocator.natives.held();
      if (held > peakHeld) {
        peakHeld = held;
        nativesAtPeak = natives;
      }
      if (natives > peakNatives) peakNatives = natives;
    }
  });
  const own = allocator.peak?.();
  if (own !== undefined && own.held > peakHeld) {
    peakHeld = own.held;
    nativesAtPeak = own.natives;
  }
  return {
    peakLiveBytes: peakLive,
    peakHeldBytes: peakHeld,
    footprintRatio: peakHeld / peakLive,
    freshAllocations: allocator.natives.made(),
    freshAfterWarmup,
    nativeAtPeakHeld: nativesAtPeak,
    peakNative: peakNatives,
  };
}

function nativeCounter() {
  let made = 0;
  let held = 0;
  return {
    allocate: (bytes) => {
      made++;
      held++;
      return { bytes };
    },
    release: () => {
      held--;
    },
    made: () => made,
    held: () => held,
  };
}

export function pow2Allocator() {
  const natives = nativeCounter();
  const pool = new BucketPool({ allocate: natives.allocate, destroy: natives.release });
  return {
    natives,
    alloc: (n) => pool.acquire(n),
    free: (slot) => pool.release(slot, slot.generation),
    held: () => pool.heldByteLength,
    peak: () => ({ held: pool.stats().peakHeldBytes, natives: Number.NaN }),
  };
}

export function arenaAllocator(options = {}) {
  const natives = nativeCounter();
  const arena = new SlabArena({
    allocateSlab: natives.allocate,
    freeSlab: natives.release,
    ...options,
  });
  return {
    natives,
    arena,
    alloc: (n) => arena.allocate(n),
    free: (block) => arena.free(block, block.generation),
    held: () => arena.heldBytes,
    peak: () => {
      const s = arena.stats();
      return { held: s.peakHeldBytes, natives: s.slabCountAtPeakHeld };
    },
  };
}

function defaultTraces() {
  const synthetic = join(fixtures, "synthetic");
  return [
    join(fixtures, "decode-mistral-small.json"),
    ...readdirSync(synthetic)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(synthetic, f)),
  ];
}

function mib(n) {
  return `${(n / 2 ** 20).toFixed(1)} MiB`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      "warmup-steps": { type: "string", default: "3" },
      "slab-held-divisor": { type: "string" },
      "min-slab-bytes": { type: "string" },
      "freed-block-reuse": { type: "string" },
    },
  });
  const warmupSteps = Number(values["warmup-steps"]);
  const options = {};
  if (values["slab-held-divisor"]) options.slabHeldDivisor = Number(values["slab-held-divisor"]);
  if (values["min-slab-bytes"]) options.minSlabBytes = Number(values["min-slab-bytes"]);
  if (values["freed-block-reuse"]) options.freedBlockReuse = values["freed-block-reuse"];
  const files = positionals.length > 0 ? positionals : defaultTraces();
  const rows = files.map((file) => {
    const trace = JSON.parse(readFileSync(file, "utf8"));
    if (trace.format !== "mlx-pool-trace/1") throw new Error(`${file}: not mlx-pool-trace/1`);
    const arena = arenaAllocator(options);
    return {
      trace: basename(file, ".json"),
      pow2: replay(trace, pow2Allocator(), warmupSteps),
      arena: replay(trace, arena, warmupSteps),
      arenaStats: arena.arena.stats(),
    };
  });
  if (values.json) {
    console.log(JSON.stringify({ warmupSteps, options, rows }, null, 2));
  } else {
    console.log(
      "trace                 | peak live  | pow2 held  ratio fresh>=w natives | arena held ratio fresh>=w natives(peak)",
    );
    for (const { trace, pow2, arena } of rows) {
      console.log(
        `${trace.padEnd(21)} | ${mib(pow2.peakLiveBytes).padStart(10)} | ${mib(pow2.peakHeldBytes).padStart(10)} ${pow2.footprintRatio.toFixed(3)} ${String(pow2.freshAfterWarmup).padStart(8)} ${String(pow2.nativeAtPeakHeld).padStart(7)} | ${mib(arena.peakHeldBytes).padStart(10)} ${arena.footprintRatio.toFixed(3)} ${String(arena.freshAfterWarmup).padStart(8)} ${String(arena.nativeAtPeakHeld).padStart(7)}(${arena.peakNative})`,
      );
    }
  }
}
