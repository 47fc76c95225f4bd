#!/usr/bin/env node
// Sweeps candidate `lean` configurations over synthetic decode traces of random model shapes
// (scripts/generate-traces.mjs) and reports, per configuration, how many traces meet the goal
// (footprintRatio <= 1.35 and freshAfterWarmup == 0), overall and among the traces where the
// seed policy itself needs no fresh allocation after warm-up (growth the seed absorbs).
// Usage: pnpm --filter @mlx/cli build && node scripts/tune-lean.mjs [SEED] [TRACES]
import { MlxDevice, pow2Divisions } from "@mlx/pool";
import { replayTrace } from "../dist/index.js";
import { generateTrace } from "./generate-traces.mjs";

let state = Number(process.argv[2] ?? 7);
const count = Number(process.argv[3] ?? 200);
const random = () => {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state / 2 ** 31;
};
const pick = (values) => values[Math.floor(random() * values.length)];

function randomModel(i) {
  const heads = pick([8, 12, 16, 20, 24, 28, 32, 40]);
  const headDim = pick([64, 80, 96, 128]);
  const kvHeads = pick([1, 2, 4, 8, heads]);
  return {
    name: `random-${i}`,
    layers: pick([2, 3, 4]),
    hidden: heads * headDim,
    heads,
    kvHeads: heads % kvHeads === 0 ? kvHeads : heads,
    ffn: Math.round((heads * headDim * pick([2.5, 2.6875, 3.5, 4, 5.375])) / 64) * 64,
    vocab: pick([32000, 32768, 49152, 50257, 65024, 128256, 151936]),
    prompt: pick([4, 8, 16, 32, 64, 128, 256, 512, 1024]),
    decode: pick([8, 16, 24, 32, 48]),
  };
}

const candidates = { seed: { policy: "pow2" } };
for (const divisions of [4, 8])
  for (const reuseLargerRatio of [2, 4])
    for (const maxHeldRatio of [1.2, 1.3])
      candidates[`div${divisions}-reuse${reuseLargerRatio}-held${maxHeldRatio}`] = {
        policy: pow2Divisions(divisions, 1 << 20),
        reuseLargerRatio,
        maxHeldRatio,
      };

const device = MlxDevice.open({ backend: "host", residency: false });
const tally = Object.fromEntries(
  Object.keys(candidates).map((name) => [name, { meets: 0, seedClean: 0, meetsWhenSeedClean: 0 }]),
);
const meets = (r) => r.footprintRatio <= 1.35 && r.freshAfterWarmup === 0;
for (let i = 0; i < count; i++) {
  const trace = generateTrace(randomModel(i));
  const seedClean =
    replayTrace(trace, { device, poolOptions: candidates.seed }).freshAfterWarmup === 0;
  for (const [name, poolOptions] of Object.entries(candidates)) {
    const result = replayTrace(trace, { device, poolOptions });
    const t = tally[name];
    if (meets(result)) t.meets++;
    if (seedClean) {
      t.seedClean++;
      if (meets(result)) t.meetsWhenSeedClean++;
    }
  }
}
device.dispose();
console.log(`${count} random models; goal: footprintRatio <= 1.35 and freshAfterWarmup == 0`);
for (const [name, t] of Object.entries(tally).sort(
  (a, b) => b[1].meetsWhenSeedClean - a[1].meetsWhenSeedClean,
)) {
  console.log(
    `${name.padEnd(24)} meets ${String(t.meets).padStart(3)}/${count}; where seed needs no fresh: ${t.meetsWhenSeedClean}/${t.seedClean}`,
  );
}
