import { defineConfig } from "vitest/config";

export default defineConfig({
  // nvcc on a busy machine takes a while.
  test: { testTimeout: 600_000, hookTimeout: 600_000 },
});
