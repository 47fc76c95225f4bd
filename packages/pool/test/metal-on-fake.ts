// For test files whose Metal cases need the metal backend on the fake Metal runtime.
import { fakeMetal } from "../../metal-native/test/fake-metal/report.js";
import { MlxDevice } from "../src/index.js";

/** The backend `MlxDevice.open()` picks here (MLX_BACKEND, else the default). */
export const backendUnderTest = (() => {
  const probe = MlxDevice.open();
  try {
    return probe.backend;
  } finally {
    probe.dispose();
  }
})();

/** Why the Metal cases skip here, printed once for `file`; null when they run. */
export function fakeMetalSkipReason(file: string, cases: string): string | null {
  const reason =
    backendUnderTest !== "metal" || fakeMetal === null
      ? `needs the metal backend on the fake Metal runtime (backend here: ${backendUnderTest})`
      : null;
  if (reason !== null) console.log(`${file}: ${cases} skipped: ${reason}`);
  return reason;
}
