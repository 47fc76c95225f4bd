import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Dawn starts one Vulkan instance per worker: keep it to one, the machines have few cores.
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
