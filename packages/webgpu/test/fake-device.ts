/** A GPUDevice stand-in that records createBuffer/destroy, for limits and errors without a GPU. */
export interface FakeBuffer {
  readonly id: number;
  readonly size: number;
  readonly usage: number;
  destroyed: boolean;
  mapState: "unmapped" | "pending" | "mapped";
  destroy(): void;
}

export class FakeDevice {
  readonly limits = { maxBufferSize: 1 << 28 };
  readonly made: FakeBuffer[] = [];
  /** When set, the next createBuffer throws it. */
  failNext: Error | undefined;

  createBuffer(descriptor: { size: number; usage: number }): FakeBuffer {
    if (this.failNext !== undefined) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const buffer: FakeBuffer = {
      id: this.made.length + 1,
      size: descriptor.size,
      usage: descriptor.usage,
      destroyed: false,
      mapState: "unmapped",
      destroy() {
        buffer.destroyed = true;
      },
    };
    this.made.push(buffer);
    return buffer;
  }

  get destroyedCount(): number {
    return this.made.filter((b) => b.destroyed).length;
  }

  asGpu(): GPUDevice {
    return this as unknown as GPUDevice;
  }
}
