import type { NativeBuffer } from "@mlx/metal-native";
import type { MlxDevice } from "./device.js";

/**
 * One native buffer as the JavaScript side keeps it: its contents view and address are read once,
 * at allocation, so that a pool hit never crosses into native code.
 */
export class Allocation {
  readonly native: NativeBuffer;
  readonly device: MlxDevice;
  readonly address: bigint;
  /** The zero-copy view, or `null` where the runtime refuses external buffers (V8 sandbox). */
  readonly contents: ArrayBuffer | null;
  /** Whether this allocation added itself to its device's residency set. */
  registered = false;

  constructor(device: MlxDevice, native: NativeBuffer) {
    this.device = device;
    this.native = native;
    this.address = native.address;
    this.contents = device.zeroCopy ? native.contents() : null;
  }
}
