import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Most tests here start the CLI as a child process and replay whole traces; on a loaded
    // 2-core machine (turbo runs every package's tests at once) that takes well over the 5 s
    // default without anything being wrong. Speed is measured by the benchmarks, not here.
    testTimeout: 60_000,
  },
});
