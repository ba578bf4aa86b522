/**
 * A fault-injecting {@link FsLayer} for tests (not exported from the package entry): it logs
 * every call, can fail the N-th call, simulate a kill (every call from the N-th on fails, so
 * no cleanup runs), and run out of space after a byte budget.
 * @module
 */
import { type FsLayer, type PathStat, nodeFs } from '../fs-layer.js';

/** What to break. */
export interface FaultPlan {
  /** Index (0-based, over all calls) of the call that fails. */
  failAt?: number;
  /** From `failAt` on, every call fails (the process "died"). */
  kill?: boolean;
  /** Error code of the injected failure. Default `EIO`. */
  code?: string;
  /** Only calls whose operation name is listed count for `failAt`. Default: all. */
  only?: readonly string[];
  /** Writes fail with ENOSPC once this many bytes have been written in total. */
  noSpaceAfterBytes?: number;
}

/** Thrown for injected failures (a Node-style error with `code`). */
export function injected(code: string, what: string): Error {
  return Object.assign(new Error(`${code}: injected failure in ${what}`), { code });
}

/** Wraps the real file system with injectable faults. */
export class FaultyFs implements FsLayer {
  /** Every call, as `op path`. */
  readonly calls: string[] = [];
  bytesWritten = 0;
  private counted = 0;
  private dead = false;

  constructor(
    public plan: FaultPlan = {},
    private readonly inner: FsLayer = nodeFs,
  ) {}

  /** Revives a "killed" layer and clears the plan. */
  heal(): void {
    this.dead = false;
    this.plan = {};
  }

  private gate(op: string, what: string): void {
    this.calls.push(`${op} ${what}`);
    if (this.dead) throw injected('EIO', `${op} (after kill)`);
    const counts = this.plan.only === undefined || this.plan.only.includes(op);
    if (!counts) return;
    const i = this.counted++;
    if (this.plan.failAt === i) {
      if (this.plan.kill) this.dead = true;
      throw injected(this.plan.code ?? 'EIO', `${op} ${what}`);
    }
  }

  openSync(path: string, flags: 'r' | 'w' | 'w+' | 'r+'): number {
    this.gate('open', path);
    return this.inner.openSync(path, flags);
  }
  closeSync(fd: number): void {
    this.gate('close', String(fd));
    this.inner.closeSync(fd);
  }
  writeSync(fd: number, data: Uint8Array, position: number): number {
    this.gate('write', `${fd}@${position}+${data.length}`);
    const budget = this.plan.noSpaceAfterBytes;
    if (budget !== undefined && this.bytesWritten + data.length > budget) throw injected('ENOSPC', `write of ${data.length} bytes`);
    const n = this.inner.writeSync(fd, data, position);
    this.bytesWritten += n;
    return n;
  }
  readSync(fd: number, buf: Uint8Array, position: number): number {
    this.gate('read', `${fd}@${position}`);
    return this.inner.readSync(fd, buf, position);
  }
  fsyncSync(fd: number): void {
    this.gate('fsync', String(fd));
    this.inner.fsyncSync(fd);
  }
  ftruncateSync(fd: number, length: number): void {
    this.gate('ftruncate', `${fd} ${length}`);
    this.inner.ftruncateSync(fd, length);
  }
  statSync(path: string): PathStat | undefined {
    this.gate('stat', path);
    return this.inner.statSync(path);
  }
  fstatSync(fd: number): PathStat {
    this.gate('fstat', String(fd));
    return this.inner.fstatSync(fd);
  }
  mkdirSync(path: string, recursive: boolean): void {
    this.gate('mkdir', path);
    this.inner.mkdirSync(path, recursive);
  }
  renameSync(from: string, to: string): void {
    this.gate('rename', `${from} -> ${to}`);
    this.inner.renameSync(from, to);
  }
  rmSync(path: string): void {
    this.gate('rm', path);
    this.inner.rmSync(path);
  }
  readdirSync(path: string): string[] {
    this.gate('readdir', path);
    return this.inner.readdirSync(path);
  }
  readFileSync(path: string): Uint8Array {
    this.gate('readFile', path);
    return this.inner.readFileSync(path);
  }
}
