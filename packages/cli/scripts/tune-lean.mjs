#!/usr/bin/env node
// Sweeps candidate `lean` configurations over trace files and prints the worst footprint ratio
// and total freshAfterWarmup of each. Usage: node scripts/tune-lean.mjs TRACE...
import { DType, MlxBufferPool, MlxDevice, pow2Divisions } from "@mlx/pool";
import { loadTrace } from "../dist/index.js";

const traces = process.argv.slice(2).map((file) => [file, loadTrace(file)]);
const device = MlxDevice.open({ backend: "host" });

function run(trace, options, warmup = 3) {
  const pool = new MlxBufferPool(options);
  const live = new Map();
  let liveBytes = 0,
    peak = 0,
    missesAtWarm = 0;
  trace.steps.forEach((step, s) => {
    if (s === warmup) missesAtWarm = pool.stats().misses;
    for (const op of step) {
      if (op[0] === "a") {
        live.set(op[1], pool.alloc(device, op[2], DType.U8, [op[2]]));
        liveBytes += op[2];
        peak = Math.max(peak, liveBytes);
      } else if (op[0] === "f") {
        const b = live.get(op[1]);
        live.delete(op[1]);
        liveBytes -= b.byteLength;
        pool.release(b);
      } else {
        pool.reset();
        live.clear();
        liveBytes = 0;
      }
    }
  });
  const st = pool.stats();
  pool.dispose();
  return { ratio: st.peakHeldBytes / peak, fresh: st.misses - missesAtWarm };
}

for (const div of [4, 8, 16])
  for (const above of [256 << 10, 1 << 20])
    for (const reuse of [1.25, 1.5, 2])
      for (const held of [1.1, 1.2, 1.3]) {
        const options = {
          policy: pow2Divisions(div, above),
          reuseLargerRatio: reuse,
          maxHeldRatio: held,
        };
        const results = traces.map(([, t]) => run(t, options));
        const worst = Math.max(...results.map((r) => r.ratio));
        const fresh = results.reduce((n, r) => n + r.fresh, 0);
        console.log(
          `div${div} above ${above >> 10}K reuse ${reuse} held ${held}: worst ${worst.toFixed(3)} fresh ${fresh}  [${results.map((r) => `${r.ratio.toFixed(2)}/${r.fresh}`).join(" ")}]`,
        );
      }
