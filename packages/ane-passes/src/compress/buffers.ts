/**
 * Reusable SharedArrayBuffers for the worker hand-off. Every weight read for the workers and
 * every block of codes they write needs a shared buffer as large as the weight; allocating
 * them fresh costs page faults and zeroing on each use and makes the garbage collector run
 * often (hundreds of megabytes of external memory per model). Buffers are handed back once
 * their contents are consumed and serve later weights of at most their size.
 * @module
 */

/** Granularity of new buffers (so slightly different sizes share them). */
const UNIT = 1 << 16;

/** A set of idle SharedArrayBuffers, bounded in total size. */
export class SharedBufferPool {
  private readonly idle: SharedArrayBuffer[] = [];
  private idleBytes = 0;

  /** @param maxIdleBytes - idle buffers kept at most (larger surpluses are left to the GC). */
  constructor(readonly maxIdleBytes: number = 1 << 30) {}

  /** A buffer of at least `bytes` bytes (contents unspecified): the smallest idle one that fits, or a new one. */
  acquire(bytes: number): SharedArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const b = this.idle[i]!;
      if (b.byteLength >= bytes && (best < 0 || b.byteLength < this.idle[best]!.byteLength)) best = i;
    }
    // A buffer far larger than needed stays for a weight of its size.
    if (best >= 0 && this.idle[best]!.byteLength <= 2 * bytes + UNIT) {
      const b = this.idle.splice(best, 1)[0]!;
      this.idleBytes -= b.byteLength;
      return b;
    }
    return new SharedArrayBuffer(Math.max(UNIT, Math.ceil(bytes / UNIT) * UNIT));
  }

  /** Hands `buf` back; nothing may use it afterwards. */
  release(buf: ArrayBufferLike): void {
    if (!(buf instanceof SharedArrayBuffer) || this.idle.includes(buf)) return;
    this.idle.push(buf);
    this.idleBytes += buf.byteLength;
    // Drop the smallest first: large buffers are the expensive ones to remake.
    while (this.idleBytes > this.maxIdleBytes) {
      let k = 0;
      for (let i = 1; i < this.idle.length; i++) if (this.idle[i]!.byteLength < this.idle[k]!.byteLength) k = i;
      this.idleBytes -= this.idle.splice(k, 1)[0]!.byteLength;
    }
  }

  /** Bytes held by idle buffers. */
  get idleSize(): number {
    return this.idleBytes;
  }
}
