import { describe, expect, it } from 'vitest';
import { captureIo } from './io.js';
import { Progress } from './progress.js';

describe('Progress, plain lines', () => {
  it('prints each phase and the weight bytes at 25, 50 and 75 percent', () => {
    const io = captureIo();
    const p = new Progress(io);
    expect(p.mode).toBe('plain');
    p.phase('m-vision', 'build', 'fp16');
    p.phase('m-vision', 'lower', 'ios18');
    for (let done = 0; done <= 4000; done += 500) p.bytes(done, 4000);
    p.phase('m-vision', 'write');
    p.done('m-vision', 'wrote it');
    expect(io.stderrText()).toBe(
      [
        'm-vision: build (fp16)',
        'm-vision: lower (ios18)',
        'm-vision: weights',
        'm-vision: weights 1.00 kB / 4.00 kB (25%)',
        'm-vision: weights 2.00 kB / 4.00 kB (50%)',
        'm-vision: weights 3.00 kB / 4.00 kB (75%)',
        'm-vision: write',
        'm-vision: wrote it',
        '',
      ].join('\n'),
    );
    expect(io.stdoutText()).toBe('');
  });

  it('reports one line per crossed step even when a chunk jumps over several', () => {
    const io = captureIo();
    const p = new Progress(io);
    p.phase('t', 'weights');
    p.bytes(900, 1000);
    p.bytes(1000, 1000);
    expect(io.stderrText()).toBe('t: weights\nt: weights 900 B / 1.00 kB (90%)\n');
  });
});

describe('Progress, terminal bar', () => {
  it('redraws one line at most every 100 ms, always draws 100%, and clears before results', () => {
    let now = 0;
    const io = captureIo({ stderrIsTTY: true, columns: 100, now: () => now });
    const p = new Progress(io);
    expect(p.mode).toBe('bar');
    p.phase('m-llm', 'lower');
    now = 200;
    p.bytes(100, 1000); // drawn: the first frame of the phase
    now = 250;
    p.bytes(200, 1000); // throttled
    now = 301;
    p.bytes(500, 1000); // drawn
    now = 302;
    p.bytes(1000, 1000); // drawn: complete
    p.done('m-llm', 'wrote it');
    const text = io.stderrText();
    const frames = text.split('\r\x1b[K').filter((f) => f !== '');
    expect(frames).toEqual([
      'm-llm: lower',
      `m-llm: weights [${'#'.repeat(4)}${'.'.repeat(36)}]  10% 100 B / 1.00 kB`,
      `m-llm: weights [${'#'.repeat(20)}${'.'.repeat(20)}]  50% 500 B / 1.00 kB`,
      `m-llm: weights [${'#'.repeat(40)}] 100% 1.00 kB / 1.00 kB`,
      'm-llm: wrote it\n',
    ]);
    expect(text).not.toContain('\n\r');
  });
});
