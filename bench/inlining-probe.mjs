// Run by bench/inlining.mjs under --trace-turbo-inlining: the pooled decode step (handles kept),
// hot long enough for TurboFan to optimise `decodeStep` with alloc's call tree inlined into it,
// or (argv 3 "id") the same step by lease id (`leaseStep`, ids kept): one per process, so that
// the bytecode sizes printed are of one `alloc` only.
import { DType, MlxBufferPool, MlxDevice } from "../packages/pool/dist/index.js";
import { decodeSizes } from "./trace-sizes.mjs";

const sizes = decodeSizes();
const shapes = sizes.map((n) => [n]);
const held = new Array(sizes.length);
const device = MlxDevice.open({ backend: process.argv[2] ?? "host" });
const pool = new MlxBufferPool();
function decodeStep() {
  for (let i = 0; i < sizes.length; i++)
    held[i] = pool.alloc(device, sizes[i], DType.U8, shapes[i]);
  pool.reset();
}
const idPool = new MlxBufferPool();
const ids = idPool.leaseIds();
const idsHeld = new Array(sizes.length).fill(0);
function leaseStep() {
  for (let i = 0; i < sizes.length; i++) idsHeld[i] = ids.alloc(device, sizes[i]);
  idPool.reset();
}
const step = process.argv[3] === "id" ? leaseStep : decodeStep;
for (let r = 0; r < 20000; r++) step();
pool.dispose();
idPool.dispose();
device.dispose();
