// Manual check of the cuda backend on a machine with an NVIDIA GPU (CI here has none):
//   pnpm --filter @mlx/metal-native build && node scripts/cuda-smoke.mjs
// Needs only dist/ and build/Release/, no dev dependencies.
import assert from "node:assert/strict";
import { availableBackends, backendStatus, openDevice } from "../dist/index.js";

console.log(JSON.stringify(backendStatus()));
assert.ok(availableBackends.includes("cuda"), "cuda is not available here");

const device = openDevice("cuda");
console.log({
  name: device.name,
  maxBufferLength: device.maxBufferLength,
  hasUnifiedMemory: device.hasUnifiedMemory,
  residencySupported: device.residencySupported,
  residencyUnsupportedReason: device.residencyUnsupportedReason,
});
assert.equal(device.backend, "cuda");

for (const bytes of [1, 4096, 1 << 20, 64 << 20]) {
  const buffer = device.allocBuffer(bytes);
  const view = new Uint8Array(buffer.contents());
  assert.equal(view.length, bytes);
  assert.ok(
    view.every((b) => b === 0),
    `${bytes} bytes not zero-filled`,
  );
  view[bytes - 1] = 7;
  assert.equal(buffer.read(bytes - 1, 1)[0], 7);
  buffer.destroy();
  assert.equal(view.length, 0);
}

if (device.residencySupported) {
  const set = device.newResidencySet("cuda-smoke", 4);
  const members = [device.allocBuffer(1 << 20), device.allocBuffer(8 << 20)];
  for (const buffer of members) set.add(buffer);
  set.commit();
  set.requestResidency();
  // Managed memory stays CPU-accessible after being prefetched to the GPU.
  members[0].write(0, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...members[0].read(0, 3)], [1, 2, 3]);
  set.endResidency();
  assert.equal(set.allocationCount, 2);
  assert.equal(set.commitCount, 1);
  members[1].destroy();
  assert.equal(set.allocationCount, 1);
  set.destroy();
  members[0].destroy();
}

const failing = (() => {
  try {
    device.allocBuffer(device.maxBufferLength + 1);
  } catch (error) {
    return error;
  }
})();
assert.equal(failing?.code, "INVALID_ARGUMENT");
device.destroy();
console.log("cuda smoke: ok");
