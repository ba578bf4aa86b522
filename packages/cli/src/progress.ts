/**
 * Compile progress on stderr, drawn from @fastvlm/compiler's events. On a terminal: one line
 * redrawn in place, with a bar for the weight bytes. Elsewhere (CI logs, pipes): plain lines,
 * one per phase and one per quarter of the weight bytes, so logs stay short and deterministic.
 * @module
 */
import { COMPILE_PHASES, type CompileEvent, type CompilePhase } from '@fastvlm/compiler';
import { formatBytes, formatMs } from './format.js';
import type { CliIo } from './io.js';

/** The phases of compiling one package. */
export const PHASES = COMPILE_PHASES;

/** A compile phase. */
export type Phase = CompilePhase;

/** How progress is shown. */
export type ProgressMode = 'bar' | 'plain';

/** Minimum time between two redraws of the bar. */
const REDRAW_MS = 100;
/** Plain mode reports weight bytes at these fractions. */
const PLAIN_STEPS = [0.25, 0.5, 0.75];

/** Reports the phases and byte counts of a compile. */
export class Progress {
  readonly mode: ProgressMode;
  private task = '';
  private phaseName: Phase | undefined;
  private phaseStart = 0;
  private lastDraw = -Infinity;
  private nextStep = 0;
  private drawn = false;

  constructor(private readonly io: CliIo) {
    this.mode = io.stderrIsTTY ? 'bar' : 'plain';
  }

  /** Renders one event of a compile. Notes are left to the summary. */
  event(e: CompileEvent): void {
    switch (e.type) {
      case 'phase':
        if (e.phase === 'write') this.phase(e.task, 'write', `${formatBytes(e.bytes ?? 0)} of weights streamed`);
        else this.phase(e.task, e.phase, e.detail);
        return;
      case 'bytes':
        if (e.phase === 'weights') this.bytes(e.done, e.total);
        else this.work(e.task, e.phase, e.done, e.total);
        return;
      case 'package':
        this.done(e.task, `wrote ${e.package.path} (${formatBytes(e.package.packageBytes)}) in ${formatMs(e.package.timeMs)}`);
        return;
      case 'note':
        return;
    }
  }

  /** Progress of a long phase other than the weights (e.g. compression), as a bar or quarter lines. */
  work(task: string, phase: Phase, done: number, total: number): void {
    if (this.phaseName !== phase || this.task !== task) this.phase(task, phase);
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    if (this.mode === 'plain') {
      let crossed = false;
      while (this.nextStep < PLAIN_STEPS.length && frac >= PLAIN_STEPS[this.nextStep]!) {
        this.nextStep++;
        crossed = true;
      }
      if (crossed && frac < 1) this.io.stderr(`${task}: ${phase} ${Math.floor(frac * 100)}%\n`);
      return;
    }
    if (done < total && this.io.now() - this.lastDraw < REDRAW_MS) return;
    this.draw(`${task}: ${phase} ${this.bar(frac)} ${String(Math.floor(frac * 100)).padStart(3)}%`, true);
  }

  /** Starts `phase` of `task` (a package name such as `fastvlm-0.5b-vision`). */
  phase(task: string, phase: Phase, detail?: string): void {
    this.task = task;
    this.phaseName = phase;
    this.phaseStart = this.io.now();
    this.nextStep = 0;
    const text = `${task}: ${phase}${detail ? ` (${detail})` : ''}`;
    if (this.mode === 'plain') this.io.stderr(`${text}\n`);
    else this.draw(text, true);
  }

  /** Weight bytes streamed so far and in total, during the `weights` phase. */
  bytes(done: number, total: number): void {
    let first = false;
    if (this.phaseName !== 'weights') {
      first = true;
      // Plain mode announces the phase; the bar shows it in its first frame.
      if (this.mode === 'plain') this.phase(this.task, 'weights');
      else {
        this.phaseName = 'weights';
        this.phaseStart = this.io.now();
      }
    }
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    if (this.mode === 'plain') {
      let crossed = false;
      while (this.nextStep < PLAIN_STEPS.length && frac >= PLAIN_STEPS[this.nextStep]!) {
        this.nextStep++;
        crossed = true;
      }
      if (crossed && frac < 1) this.io.stderr(`${this.task}: weights ${formatBytes(done)} / ${formatBytes(total)} (${Math.floor(frac * 100)}%)\n`);
      return;
    }
    const due = first || done >= total || this.io.now() - this.lastDraw >= REDRAW_MS;
    if (!due) return;
    this.draw(`${this.task}: weights ${this.bar(frac)} ${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(done)} / ${formatBytes(total)}`, true);
  }

  private bar(frac: number): string {
    const width = Math.max(10, Math.min(40, (this.io.columns ?? 80) - 60));
    const fill = Math.round(frac * width);
    return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}]`;
  }

  /** Ends a task with a one-line result (kept on screen in both modes). */
  done(task: string, message: string): void {
    this.clear();
    this.io.stderr(`${task}: ${message}\n`);
    this.phaseName = undefined;
  }

  /** Prints a note on its own line (kept on screen). */
  note(message: string): void {
    this.clear();
    this.io.stderr(`${message}\n`);
  }

  /** Removes the bar line, if any (before errors and the summary). */
  clear(): void {
    if (this.mode === 'bar' && this.drawn) {
      this.io.stderr('\r\x1b[K');
      this.drawn = false;
    }
  }

  /** Time spent in the current phase. */
  elapsed(): string {
    return formatMs(this.io.now() - this.phaseStart);
  }

  private draw(text: string, force: boolean): void {
    const now = this.io.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const cols = Math.max(20, this.io.columns ?? 80);
    const t = text.length >= cols ? `${text.slice(0, cols - 2)}…` : text;
    this.io.stderr(`\r\x1b[K${t}`);
    this.drawn = true;
  }
}
