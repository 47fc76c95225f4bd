import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Against the fake Metal runtime, every file ends with its leak and balance check.
    setupFiles: process.env.MLX_METAL_FAKE === "1" ? ["test/fake-metal/vitest-setup.ts"] : [],
  },
});
