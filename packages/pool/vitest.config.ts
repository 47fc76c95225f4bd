import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The soak tests measure RSS after a collection: without one, garbage handles hide leaks.
    execArgv: ["--expose-gc"],
  },
});
