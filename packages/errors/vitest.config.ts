import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Property tests run hundreds of cases; on a loaded 2-core machine (turbo runs every
    // package's tests at once) they can pass the 5 s default. Speed is measured by benchmarks.
    testTimeout: 60_000,
  },
});
