import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type CommandSpec, Flags, closest, commandHelp, parseCommandLine, parseIntFlag } from './args.js';
import { fastVlmError } from '../../graph/src/testing/errors.js';

const SPEC: CommandSpec = {
  name: 'demo',
  summary: 'A demo command.',
  usage: 'demo --name X [options]',
  description: 'Demo description.',
  positionals: [],
  flags: [
    { name: 'name', kind: 'string', metavar: 'X', required: true, doc: 'A name.' },
    { name: 'count', kind: 'int', doc: 'A count.' },
    { name: 'seed', kind: 'int', min: 0, doc: 'A seed.' },
    { name: 'color', kind: 'enum', values: ['red', 'green', 'blue'], doc: 'A color.' },
    { name: 'parts', kind: 'list', values: ['a', 'b', 'c'], doc: 'Parts.' },
    { name: 'loud', kind: 'bool', doc: 'Be loud.' },
  ],
};

const ONE_ARG: CommandSpec = { ...SPEC, name: 'one', positionals: [{ name: 'PATH', doc: 'a path' }], flags: [{ name: 'json', kind: 'bool', doc: 'JSON.' }] };

function usage(argv: string[], spec: CommandSpec = SPEC): string {
  return fastVlmError(() => parseCommandLine(spec, argv), 'E_CLI_USAGE', argv.join(' ')).message;
}

describe('parseCommandLine', () => {
  it('reads every kind, in both --flag value and --flag=value forms', () => {
    const p = parseCommandLine(SPEC, ['--name', 'x', '--count=3', '--seed', '0', '--color', 'green', '--parts=c,a', '--loud']);
    const f = new Flags(p);
    expect(f.str('name')).toBe('x');
    expect(f.int('count')).toBe(3);
    expect(f.int('seed')).toBe(0);
    expect(f.str('color')).toBe('green');
    expect(f.list('parts')).toEqual(['c', 'a']);
    expect(f.bool('loud')).toBe(true);
    expect(f.bool('verbose')).toBe(false);
    expect(f.has('count')).toBe(true);
    expect(p.help).toBe(false);
  });

  it('lets --help win over anything else before --', () => {
    expect(parseCommandLine(SPEC, ['--bogus', '-h']).help).toBe(true);
    expect(parseCommandLine(SPEC, ['--help']).help).toBe(true);
    expect(parseCommandLine(ONE_ARG, ['--', '--help']).help).toBe(false);
    expect(parseCommandLine(ONE_ARG, ['--', '--help']).positionals).toEqual(['--help']);
  });

  it('names the flag, the value and the allowed values in every usage error', () => {
    expect(usage(['--name', 'x', '--colour', 'red'])).toBe(
      "E_CLI_USAGE: --colour: unknown flag of 'fastvlm demo' (did you mean --color?); flags: --name, --count, --seed, --color, --parts, --loud, --help, --verbose",
    );
    expect(usage(['--name', 'x', '--color', 'pink'])).toBe('E_CLI_USAGE: --color: unknown value \'pink\'; allowed: red, green, blue');
    expect(usage(['--name', 'x', '--color', 'gren'])).toContain("(did you mean 'green'?)");
    expect(usage(['--name', 'x', '--count', 'abc'])).toBe("E_CLI_USAGE: --count: expected a positive integer, found 'abc'");
    expect(usage(['--name', 'x', '--count', '0'])).toBe("E_CLI_USAGE: --count: expected a positive integer, found '0'");
    expect(usage(['--name', 'x', '--count', '1.5'])).toBe("E_CLI_USAGE: --count: expected a positive integer, found '1.5'");
    expect(usage(['--name', 'x', '--count', '-3'])).toBe("E_CLI_USAGE: --count: expected a positive integer, found '-3'");
    expect(usage(['--name', 'x', '--seed=-1'])).toBe("E_CLI_USAGE: --seed: expected a non-negative integer, found '-1'");
    expect(usage(['--name', 'x', '--count', '99999999999999999999'])).toContain('expected a positive integer');
    expect(usage(['--name', 'x', '--color'])).toBe('E_CLI_USAGE: --color: missing value (red|green|blue); allowed: red, green, blue');
    expect(usage(['--name', '--loud'])).toBe('E_CLI_USAGE: --name: missing value (X)');
    expect(usage(['--name', 'x', '--parts', 'a,d'])).toBe("E_CLI_USAGE: --parts: unknown value 'd'; allowed: a, b, c");
    expect(usage(['--name', 'x', '--parts', 'a,,b'])).toBe("E_CLI_USAGE: --parts: expected a comma-separated list of a, b, c, found 'a,,b'");
    expect(usage(['--name', 'x', '--parts', 'a,a'])).toBe("E_CLI_USAGE: --parts: 'a' is listed twice");
    expect(usage(['--name', 'x', '--loud=yes'])).toBe("E_CLI_USAGE: --loud: takes no value, found 'yes'");
    expect(usage(['--name', 'x', '--name', 'y'])).toBe('E_CLI_USAGE: --name: given more than once');
    expect(usage(['--name='])).toBe('E_CLI_USAGE: --name: expected X, found an empty value');
    expect(usage([])).toBe("E_CLI_USAGE: --name: required by 'fastvlm demo' (X)");
    expect(usage(['--name', 'x', 'extra'])).toBe("E_CLI_USAGE: 'extra': unexpected argument; 'fastvlm demo' takes no arguments");
    expect(usage(['--name', 'x', '-q'])).toContain("E_CLI_USAGE: -q: unknown flag of 'fastvlm demo'");
    expect(usage(['--name', 'x', '-qq'])).toContain("E_CLI_USAGE: -qq: unknown flag of 'fastvlm demo'");
    expect(usage([], ONE_ARG)).toBe("E_CLI_USAGE: PATH: missing argument of 'fastvlm one': a path");
    expect(usage(['a', 'b'], ONE_ARG)).toBe("E_CLI_USAGE: 'b': unexpected argument; 'fastvlm one' takes 1 argument (PATH)");
  });

  it('puts the flag in the error details', () => {
    const e = fastVlmError(() => parseCommandLine(SPEC, ['--name', 'x', '--color', 'pink']), 'E_CLI_USAGE');
    expect(e.details).toMatchObject({ flag: '--color', found: 'pink', allowed: ['red', 'green', 'blue'] });
  });

  it('round-trips any valid assignment of flags, in any order and form', () => {
    const assignment = fc.record(
      {
        name: fc.stringMatching(/^[a-z/._][a-z0-9/._]{0,8}$/),
        count: fc.integer({ min: 1, max: 1e9 }),
        seed: fc.integer({ min: 0, max: 1e9 }),
        color: fc.constantFrom('red', 'green', 'blue'),
        parts: fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 }),
        loud: fc.constant(true),
      },
      { requiredKeys: ['name'] },
    );
    fc.assert(
      fc.property(assignment, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.integer({ min: 0, max: 719 }), (a, inlineForm, perm) => {
        const entries = Object.entries(a);
        // A permutation of the entries chosen by `perm` (Lehmer code).
        const order = [...entries];
        const shuffled: typeof entries = [];
        let k = perm;
        while (order.length) {
          const i = k % order.length;
          k = Math.floor(k / order.length);
          shuffled.push(order.splice(i, 1)[0]!);
        }
        const argv: string[] = [];
        shuffled.forEach(([key, v], i) => {
          if (v === true) argv.push(`--${key}`);
          else {
            const text = Array.isArray(v) ? v.join(',') : String(v);
            if (inlineForm[i]) argv.push(`--${key}=${text}`);
            else argv.push(`--${key}`, text);
          }
        });
        const f = new Flags(parseCommandLine(SPEC, argv));
        expect(f.str('name')).toBe(a.name);
        expect(f.int('count')).toBe(a.count);
        expect(f.int('seed')).toBe(a.seed);
        expect(f.str('color')).toBe(a.color);
        expect(f.list('parts')).toEqual(a.parts);
        expect(f.bool('loud')).toBe(a.loud === true);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects every integer text that is not plain decimal digits', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => !/^[0-9]+$/.test(s) && !s.startsWith('-')), (s) => {
        expect(() => parseIntFlag(s, '--count')).toThrow(/E_CLI_USAGE: --count: expected a positive integer/);
      }),
    );
  });
});

describe('closest', () => {
  it('suggests a candidate within two edits or by prefix, else nothing', () => {
    expect(closest('taget', ['target', 'model'])).toBe('target');
    expect(closest('mod', ['target', 'model'])).toBe('model');
    expect(closest('zzzzzz', ['target', 'model'])).toBeUndefined();
  });
});

describe('commandHelp', () => {
  it('lists the usage, every flag with its values and defaults, and the common flags', () => {
    const text = commandHelp({ ...SPEC, flags: [...SPEC.flags, { name: 'mode', kind: 'enum', values: ['x', 'y'], default: 'x', doc: 'The mode.' }], examples: ['fastvlm demo --name a'] });
    expect(text.startsWith('Usage: fastvlm demo --name X [options]\n\nDemo description.\n')).toBe(true);
    expect(text).toContain('  --name X                    A name. Required.\n');
    expect(text).toContain('  --color red|green|blue      A color.\n');
    expect(text).toContain('  --parts a,b,c               Parts.\n');
    expect(text).toContain('  --mode x|y                  The mode. Default: x.\n');
    expect(text).toContain('  -h, --help                  Show this help and exit.\n');
    expect(text).toContain('  --verbose                   Print stack traces of errors.\n');
    expect(text).toContain('Examples:\n  fastvlm demo --name a\n');
  });
});
