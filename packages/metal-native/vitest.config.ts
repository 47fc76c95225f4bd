import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Child processes and property tests are slow on a loaded 2-core machine; speed is measured
    // by benchmarks, not by timeouts.
    testTimeout: 60_000,
    // Against the fake Metal runtime, every file ends with its leak and balance check.
    setupFiles: process.env.MLX_METAL_FAKE === "1" ? ["test/fake-metal/vitest-setup.ts"] : [],
  },
});
