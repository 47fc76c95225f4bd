import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Building the addon (cmake-js) takes a while on a busy machine.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Against the fake Metal runtime, the file ends with the fake's leak and balance check.
    setupFiles:
      process.env.MLX_METAL_FAKE === "1"
        ? ["../../packages/metal-native/test/fake-metal/vitest-setup.ts"]
        : [],
  },
});
