import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Child processes and property tests are slow on a loaded 2-core machine; speed is measured
    // by benchmarks, not by timeouts.
    testTimeout: 60_000,
    // The soak tests measure RSS after a collection: without one, garbage handles hide leaks.
    execArgv: ["--expose-gc"],
    // Against the fake Metal runtime (scripts/metal-fake/run.sh), every file ends with the
    // fake's leak and balance check.
    setupFiles:
      process.env.MLX_METAL_FAKE === "1" ? ["../metal-native/test/fake-metal/vitest-setup.ts"] : [],
  },
});
