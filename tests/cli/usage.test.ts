/**
 * Help texts, and every kind of command-line mistake: a one-line `error E_CLI_USAGE` naming the
 * flag and the allowed values with exit status 2; library errors as `error E_CODE` with
 * status 1 and no stack trace unless --verbose.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers.js';

const tmp = tempDir('usage');
afterAll(() => tmp.remove());

describe('--help', () => {
  it('fastvlm --help lists the commands', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: fastvlm <command> \[options\]\n/);
      expect(r.stdout).toMatch(/^ {2}compile +Compile FastVLM, or a model of your own, to Core ML \.mlpackage files/m);
      expect(r.stdout).toMatch(/^ {2}inspect +Describe an \.mlpackage, or a model preset by name\./m);
    }
  });

  it('fastvlm compile --help documents every flag with its allowed values and defaults', async () => {
    const r = await run(['compile', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fastvlm compile \(--model NAME \| --checkpoint DIR \| --module FILE\) --out DIR \[options\]\n/);
    const expected: [string, RegExp][] = [
      ['--model', /--model NAME +Model preset: fastvlm-0\.5b, fastvlm-1\.5b, fastvlm-7b, tiny\. Optional/],
      ['--module', /--module FILE +A module \(\.ts, \.mts, \.js, \.mjs\) whose export builds a Program/],
      ['--export', /--export NAME +The module's export to compile/],
      ['--image-input', /--image-input rgb\|bgr\|tensor\s+The vision part's images input/],
      ['--out', /--out DIR +Output directory/],
      ['--checkpoint', /--checkpoint DIR +Hugging Face checkpoint directory/],
      ['--seed', /--seed N +Seed of the synthetic weights/],
      ['--resolution', /--resolution N +Image side in pixels, a multiple of 64/],
      ['--target', /--target ios15\|ios16\|ios17\|ios18\s+Deployment target \(Core ML specification 6\.\.9\)\. Default: ios18\./],
      ['--parts', /--parts vision,llm +Parts to compile\. Default: vision,llm\./],
      ['--context-length', /--context-length N +KV-cache length/],
      ['--prefill-length', /--prefill-length N +Tokens per prefill call/],
      ['--precision', /--precision fp16\|fp32/],
      ['--passes', /--passes none\|cleanup\|ane/],
      ['--compress', /--compress SPEC +Weight compression: a scheme \(lut4, lut6, int8, int4-block\)/],
      ['--report', /--report +Print per-function statistics/],
      ['--dump-ir', /--dump-ir DIR +Write the IR text/],
      ['--verbose', /--verbose +Print stack traces/],
      ['--help', /-h, --help +Show this help/],
    ];
    for (const [flag, re] of expected) expect(r.stdout, flag).toMatch(re);
    expect(r.stdout).toContain('Examples:');
    // Help wins over other (even wrong) flags, and `fastvlm help compile` is the same text.
    const again = await run(['compile', '--target', 'ios14', '--help']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(r.stdout);
    expect((await run(['help', 'compile'])).stdout).toBe(r.stdout);
  });

  it('fastvlm inspect --help documents its argument and flags', async () => {
    const r = await run(['inspect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fastvlm inspect <path\.mlpackage \| model> \[--json\] \[options\]\n/);
    expect(r.stdout).toMatch(/^ {2}PATH\|MODEL +An \.mlpackage directory, a model preset or a zoo model name\.$/m);
    expect(r.stdout).toMatch(/^ {2}--json +Print machine-readable JSON/m);
    expect(r.stdout).toMatch(/^ {2}--resolution N +Model names only/m);
  });

  it('fastvlm analyze --help documents its argument, the device profiles and the flags', async () => {
    const r = await run(['analyze', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fastvlm analyze TARGET \[--device D\] \[--passes none\|cleanup\|ane\] \[--compress SPEC\] \[--json\] \[--top N\] \[--html FILE\] \[--measured RESULT\.json\] \[options\]\n/);
    expect(r.stdout).toMatch(/^ {2}TARGET +An \.mlpackage directory, a FastVLM preset or a zoo model name\.$/m);
    expect(r.stdout).toMatch(/^ {2}--device D +Device profile \(aliases in parentheses\): a14 \(iphone12/m);
    for (const f of ['--passes', '--compress SPEC', '--json', '--top N', '--precision', '--target', '--parts', '--resolution N', '--context-length N', '--prefill-length N', '--sequence-length N']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${f.replace(/-/g, '\\-')} `, 'm'));
    }
  });

  it('fastvlm --version prints the version', async () => {
    const r = await run(['--version']);
    expect(r).toEqual({ code: 0, stdout: 'fastvlm 0.1.0\n', stderr: '' });
  });
});

const OUT = ['--out', '/nonexistent-never-created'];

/** Every bad command line, with the exact first line of its error. */
const BAD: [string[], string][] = [
  [[], "error E_CLI_USAGE: fastvlm: missing command; commands: compile, inspect, analyze, measure, calibrate"],
  [['compyle'], "error E_CLI_USAGE: 'compyle': unknown command (did you mean 'compile'?); commands: compile, inspect, analyze, measure, calibrate"],
  [['--bogus'], "error E_CLI_USAGE: '--bogus': unknown option before the command; commands: compile, inspect, analyze, measure, calibrate"],
  [['help', 'nope'], "error E_CLI_USAGE: 'nope': unknown command; commands: compile, inspect, analyze, measure, calibrate"],
  [['compile', ...OUT], "error E_CLI_USAGE: --model: required by 'fastvlm compile' unless --checkpoint or --module is given (NAME); allowed: fastvlm-0.5b, fastvlm-1.5b, fastvlm-7b, tiny"],
  [['compile', '--model', 'tiny'], "error E_CLI_USAGE: --out: required by 'fastvlm compile' (DIR)"],
  [['compile', '--model', 'resnet50', '--parts', 'vision', ...OUT], "error E_CLI_USAGE: --parts: applies to FastVLM models; the zoo model 'resnet50' compiles at its published input size"],
  [['compile', '--model', 'fastvlm-3b', ...OUT], "error E_CLI_USAGE: --model: unknown value 'fastvlm-3b'; allowed: fastvlm-0.5b, fastvlm-1.5b, fastvlm-7b, tiny, fastvit-t8, fastvit-t12, fastvit-s12, fastvit-sa12, fastvit-sa24, fastvit-sa36, fastvit-ma36, mobileone-s0, mobileone-s1, mobileone-s2, mobileone-s3, mobileone-s4, mci0, mci1, mci2, mci3, mci4, mobileclip-text-512, mobileclip-text-768, resnet50, mobilenetv2, mobilenetv3-small, distilbert, opt-1.3b (did you mean 'fastvlm-7b'?)"],
  [['compile', '--model', 'tiny', '--target', 'ios14', ...OUT], "error E_CLI_USAGE: --target: unknown value 'ios14'; allowed: ios15, ios16, ios17, ios18 (did you mean 'ios15'?)"],
  [['compile', '--model', 'tiny', '--target', 'macos', ...OUT], "error E_CLI_USAGE: --target: unknown value 'macos'; allowed: ios15, ios16, ios17, ios18"],
  [['compile', '--model', 'tiny', '--parts', 'vision,text', ...OUT], "error E_CLI_USAGE: --parts: unknown value 'text'; allowed: vision, llm"],
  [['compile', '--model', 'tiny', '--parts', 'llm,llm', ...OUT], "error E_CLI_USAGE: --parts: 'llm' is listed twice"],
  [['compile', '--model', 'tiny', '--parts', '', ...OUT], "error E_CLI_USAGE: --parts: expected a comma-separated list of vision, llm, found ''"],
  [['compile', '--model', 'tiny', '--resolution', '1000', ...OUT], 'error E_CLI_USAGE: --resolution: 1000 is not a multiple of 64 (the encoder stride); try 960 or 1024'],
  [['compile', '--model', 'tiny', '--resolution', '32', ...OUT], 'error E_CLI_USAGE: --resolution: 32 is not a multiple of 64 (the encoder stride); try 64 or 128'],
  [['compile', '--model', 'tiny', '--resolution', 'big', ...OUT], "error E_CLI_USAGE: --resolution: expected a positive integer, found 'big'"],
  [['compile', '--model', 'tiny', '--resolution', '0', ...OUT], "error E_CLI_USAGE: --resolution: expected a positive integer, found '0'"],
  [['compile', '--model', 'tiny', '--context-length', '1e3', ...OUT], "error E_CLI_USAGE: --context-length: expected a positive integer, found '1e3'"],
  [['compile', '--model', 'tiny', '--prefill-length', '-4', ...OUT], "error E_CLI_USAGE: --prefill-length: expected a positive integer, found '-4'"],
  [['compile', '--model', 'tiny', '--seed', 'x', ...OUT], "error E_CLI_USAGE: --seed: expected a non-negative integer, found 'x'"],
  [['compile', '--model', 'tiny', '--prefill-length', '32', ...OUT], 'error E_CLI_USAGE: --prefill-length: prefill length 32 exceeds context length 16 (the default); the prefill length must be at most the context length'],
  [['compile', '--model', 'tiny', '--context-length', '8', '--prefill-length', '9', ...OUT], 'error E_CLI_USAGE: --prefill-length: prefill length 9 exceeds context length 8; the prefill length must be at most the context length'],
  [['compile', '--model', 'tiny', '--precision', 'int8', ...OUT], "error E_CLI_USAGE: --precision: unknown value 'int8'; allowed: fp16, fp32"],
  [['compile', '--model', 'tiny', '--passes', 'fast', ...OUT], "error E_CLI_USAGE: --passes: unknown value 'fast'; allowed: none, cleanup, ane"],
  [['compile', '--model', 'tiny', '--compress', 'lut3', ...OUT], "error E_CLI_USAGE: --compress: unknown scheme 'lut3'; allowed: lut4, lut6, int8, int4-block, none"],
  [['compile', '--model', 'tiny', '--compress', 'lut4,heads=lut6', ...OUT], "error E_CLI_USAGE: --compress: unknown selector 'heads'; groups: ffn, attn, lm_head, embed, vision, projector, or a weight-name pattern such as 'model.layers.*.mlp.*'"],
  [['compile', '--model', 'tiny', '--compress', 'lut4', '--target', 'ios15', ...OUT], 'error E_CLI_USAGE: --compress: lut4 needs target ios16 or newer (compressed weights are constexpr ops of iOS16); the target is ios15'],
  [['compile', '--model', 'tiny', '--compress', 'int8,lm_head=int4-block', '--target', 'ios17', ...OUT], 'error E_CLI_USAGE: --compress: int4-block needs target ios18 or newer (compressed weights are constexpr ops of iOS18); the target is ios17'],
  [['compile', '--model', 'tiny', '--target', ...OUT], 'error E_CLI_USAGE: --target: missing value (ios15|ios16|ios17|ios18); allowed: ios15, ios16, ios17, ios18'],
  [['compile', '--model', 'tiny', '--out'], 'error E_CLI_USAGE: --out: missing value (DIR)'],
  [['compile', '--model', 'tiny', '--report=yes', ...OUT], "error E_CLI_USAGE: --report: takes no value, found 'yes'"],
  [['compile', '--model', 'tiny', '--model', 'tiny', ...OUT], 'error E_CLI_USAGE: --model: given more than once'],
  [['compile', '--model', 'tiny', '--tagret', 'ios18', ...OUT], "error E_CLI_USAGE: --tagret: unknown flag of 'fastvlm compile' (did you mean --target?); flags: --model, --out, --checkpoint, --module, --export, --image-input, --seed, --resolution, --target, --parts, --context-length, --prefill-length, --precision, --passes, --compress, --report, --device, --html, --cost-model, --dump-ir, --help, --verbose"],
  [['compile', '--model', 'tiny', 'extra', ...OUT], "error E_CLI_USAGE: 'extra': unexpected argument; 'fastvlm compile' takes no arguments"],
  [['inspect'], "error E_CLI_USAGE: PATH|MODEL: missing argument of 'fastvlm inspect': An .mlpackage directory, a model preset or a zoo model name."],
  [['inspect', 'a', 'b'], "error E_CLI_USAGE: 'b': unexpected argument; 'fastvlm inspect' takes 1 argument (PATH|MODEL)"],
  [['inspect', 'fastvlm-2b'], "error E_CLI_USAGE: 'fastvlm-2b': is neither an existing .mlpackage nor a model name; models: fastvlm-0.5b, fastvlm-1.5b, fastvlm-7b, tiny; zoo: fastvit-t8, fastvit-t12, fastvit-s12, fastvit-sa12, fastvit-sa24, fastvit-sa36, fastvit-ma36, mobileone-s0, mobileone-s1, mobileone-s2, mobileone-s3, mobileone-s4, mci0, mci1, mci2, mci3, mci4, mobileclip-text-512, mobileclip-text-768, resnet50, mobilenetv2, mobilenetv3-small, distilbert, opt-1.3b"],
  [['inspect', 'tiny', '--resolution', '100'], 'error E_CLI_USAGE: --resolution: 100 is not a multiple of 64 (the encoder stride); try 64 or 128'],
  [['inspect', 'tiny', '--target', 'ios9'], "error E_CLI_USAGE: --target: unknown value 'ios9'; allowed: ios15, ios16, ios17, ios18 (did you mean 'ios15'?)"],
  [['inspect', 'some/dir.mlpackage', '--resolution', '128'], "error E_CLI_USAGE: --resolution: applies to model names only, not to a package ('some/dir.mlpackage')"],
  [['inspect', 'tiny', '--jsn'], "error E_CLI_USAGE: --jsn: unknown flag of 'fastvlm inspect' (did you mean --json?); flags: --json, --resolution, --context-length, --prefill-length, --precision, --target, --image-input, --help, --verbose"],
];

describe('bad command lines exit with status 2 and name the flag and the allowed values', () => {
  for (const [argv, first] of BAD) {
    it(`fastvlm ${argv.join(' ')}`, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      const errorLine = lines.find((l) => l.startsWith('error '));
      expect(errorLine).toBe(first);
      const cmd = argv[0] === 'compile' || argv[0] === 'inspect' ? `${argv[0]} ` : '';
      expect(lines[lines.length - 1]).toBe(`Run 'fastvlm ${cmd}--help' for usage.`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('library errors exit with status 1', () => {
  it('prints `error E_CODE: message` without a stack trace', async () => {
    const r = await run(['inspect', join(tmp.dir, 'missing.mlpackage')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error E_PACKAGE: ${join(tmp.dir, 'missing.mlpackage')}: does not exist [at ${join(tmp.dir, 'missing.mlpackage')}]\n`);
  });

  it('adds the stack trace with --verbose', async () => {
    const r = await run(['inspect', join(tmp.dir, 'missing.mlpackage'), '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^error E_PACKAGE: /);
    expect(r.stderr).toMatch(/\n\s+at .*read\.ts/);
  });
});
