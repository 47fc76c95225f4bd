// One bench process: every allocator over the decode trace's sizes on one real GPUDevice, in
// rotating order, so the ratios come from the same process and the same moment. Prints JSON.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, globals } from "webgpu";
import { WebGpuBufferPool } from "../dist/index.js";
import { loadOrtGpuDataManager, loadTfjsBufferManager } from "./peers.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP_PASSES = 2;
const USAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST

process.env.XDG_RUNTIME_DIR ??= mkdtempSync(join(tmpdir(), "mlx-xdg-"));
Object.assign(globalThis, globals);
const gpu = create([]); // kept reachable while the device is used
const adapter = await gpu.requestAdapter();
if (adapter === null) {
  console.log(JSON.stringify({ skipped: "no WebGPU adapter" }));
  process.exit(0);
}
const device = await adapter.requestDevice();
const info = adapter.info;
const tracePath =
  process.env.BENCH_TRACE ??
  new URL("../../cli/fixtures/decode-mistral-small.json", import.meta.url);
const trace = JSON.parse(readFileSync(tracePath, "utf8"));
const steps = trace.steps.slice(1); // the decode steps; the prefill is warm-up only

/** Each allocator as a caller uses it: alloc returns what the caller keeps, free gives it back. */
function allocators(BufferManager, createGpuDataManager) {
  const pool = new WebGpuBufferPool(device);
  const tfjs = new BufferManager(device);
  const ort = createGpuDataManager({ device, sessionStatus: "default" });
  return {
    "@mlx/webgpu": {
      alloc: (n) => pool.alloc(n, USAGE),
      free: (lease) => pool.release(lease),
      endStep: () => pool.reset(),
      dispose: () => pool.dispose(),
    },
    "tfjs BufferManager": {
      alloc: (n) => tfjs.acquireBuffer(n, USAGE),
      free: (buffer) => tfjs.releaseBuffer(buffer),
      endStep: () => {},
      dispose: () => tfjs.dispose(),
    },
    "ORT GpuDataManager": {
      alloc: (n) => ort.create(n, USAGE),
      free: (data) => ort.release(data.id),
      // ORT refreshes after each flush (submit): released buffers wait until then.
      endStep: () => ort.refreshPendingBuffers(),
      dispose: () => ort.dispose(),
    },
    "createBuffer+destroy": {
      alloc: (n) => device.createBuffer({ size: n, usage: USAGE }),
      free: (buffer) => buffer.destroy(),
      endStep: () => {},
      dispose: () => {},
    },
  };
}

/** Replays one step; handles stay in a Map by id, as a caller's tensors hold them. */
function runStep(a, step, live) {
  let ops = 0;
  for (const op of step) {
    if (op[0] === "a") {
      live.set(op[1], a.alloc(op[2]));
      ops++;
    } else if (op[0] === "f") {
      const h = live.get(op[1]);
      if (h !== undefined) {
        live.delete(op[1]);
        a.free(h);
      }
    }
  }
  // Anything the step keeps is returned at its end, so every step starts from the same state.
  for (const h of live.values()) a.free(h);
  live.clear();
  a.endStep();
  return ops;
}

const all = allocators(await loadTfjsBufferManager(), await loadOrtGpuDataManager());
const names = Object.keys(all);
const live = new Map();
for (const name of names) {
  runStep(all[name], trace.steps[0], live);
  for (let p = 0; p < WARMUP_PASSES; p++) for (const step of steps) runStep(all[name], step, live);
}
const nsPerOp = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length];
    const a = all[name];
    let ops = 0;
    const start = process.hrtime.bigint();
    for (const step of steps) ops += runStep(a, step, live);
    nsPerOp[name].push(Number(process.hrtime.bigint() - start) / ops);
  }
}
for (const name of names) all[name].dispose();
device.destroy();
console.log(
  JSON.stringify({
    adapter: [info.description, info.vendor, info.architecture].filter(Boolean).join(", "),
    allocsPerStep: steps[0].filter((op) => op[0] === "a").length,
    nsPerOp,
  }),
);
