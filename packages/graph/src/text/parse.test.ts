import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { FastVlmError } from '../errors.js';
import { collectDiagnostics } from '../ir/verify.js';
import { tensor } from '../tensor.js';
import { FIXTURE_PROGRAM_OPTIONS, registerFixtureOps } from '../testing/fixture-ops.js';
import { arbProgram } from '../testing/random-graph.js';
import { WeightStore, memorySource } from '../weights/store.js';
import { tokenize } from './lexer.js';
import { parseProgram } from './parse.js';
import { printProgram } from './print.js';
import { fastVlmError } from '../testing/errors.js';

registerFixtureOps();

/** Parses and returns the error (fails the test when parsing succeeds or throws uncoded). */
function err(text: string, weights?: WeightStore, file?: string): FastVlmError {
  return fastVlmError(() => parseProgram(text, weights, file !== undefined ? { file } : {}), undefined, `parsing:\n${text}`);
}

/** `fn` wraps body lines in a function with one input %x: fp32[2,3]. */
const fn = (...body: string[]): string => ['func main(%x: fp32[2,3]) -> (%y) {', ...body, '  return %y', '}'].join('\n');

describe('parseProgram: accepted text', () => {
  it('builds ops through the builder: results, attributes with defaults, op locations', () => {
    const p = parseProgram(fn('  %y = test_scale(x=%x) {factor=2} : fp32[2,3]'), undefined, { file: 'm.mlir' });
    const f = p.fn('main');
    const op = f.body.ops[0]!;
    expect(op.kind).toBe('test_scale');
    expect(op.attrs).toEqual({ factor: 2, bias: 0 });
    expect(op.inputs['x']).toBe(f.inputs[0]);
    expect(op.outputs[0]!.producer).toBe(op);
    expect(op.loc).toEqual({ file: 'm.mlir', line: 2, col: 3 });
    expect(f.outputs).toEqual([op.outputs[0]]);
  });

  it('accepts comments, free layout, any input and attribute order, empty attribute braces', () => {
    const text = [
      '// leading comment',
      'func   main ( %x : fp32[ 2 , 3 ] )->(%y){ // trailing',
      '  %a,%b = test_split ( x = %x ) { num_splits = 2 , axis = 0 } : fp32[1,3],',
      '     fp32[1,3]',
      '',
      '  %y = test_attrs(gate=%a, x=%b) {} : fp32[1,3]',
      '  return %y}',
    ].join('\n');
    const f = parseProgram(text).fn('main');
    const [split, attrs] = f.body.ops;
    expect(split!.outputs.map((o) => o.name)).toEqual(['a', 'b']);
    expect(split!.attrs).toEqual({ axis: 0, num_splits: 2 });
    expect(Object.keys(attrs!.inputs)).toEqual(['x', 'gate']);
    expect(attrs!.inputs['gate']).toBe(split!.outputs[0]);
    expect(attrs!.attrs['s']).toBe('none');
    expect(attrs!.loc).toEqual({ line: 6, col: 3 });
    // The same text with a split of dim 3 into 2 reports the op's shape error at its line.
    const bad = err(text.replace('axis = 0', 'axis = 1'));
    expect(bad.code).toBe('E_SHAPE_MISMATCH');
    expect(bad.loc).toEqual({ line: 3, col: 3 });
  });

  it('reads every literal form', () => {
    const p = parseProgram(
      fn(
        '  %a = test_scale(x=%x) {factor=-inf, bias=nan} : fp32[2,3]',
        '  %b = test_scale(x=%a) {factor=-0, bias=1.5e-7} : fp32[2,3]',
        '  %y = test_attrs(x=%b) {f=inf, s="valid", free="\\u00e9\\n\\"\\\\/", dt="int8", is=[-1,0], fs=[1e21,-0.25], ss=["", "x y"], ds=[2,n,0]} : fp32[2,3]',
      ),
    );
    const [a, b, y] = p.fn('main').body.ops;
    expect(a!.attrs['factor']).toBe(-Infinity);
    expect(a!.attrs['bias']).toBeNaN();
    expect(Object.is(b!.attrs['factor'], -0)).toBe(true);
    expect(b!.attrs['bias']).toBe(1.5e-7);
    expect(y!.attrs).toMatchObject({ f: Infinity, s: 'valid', free: 'é\n"\\/', dt: 'int8', is: [-1, 0], fs: [1e21, -0.25], ss: ['', 'x y'], ds: [2, 'n', 0] });
  });

  it('reads symbolic dims, scalar types, several functions, and returned inputs', () => {
    const p = parseProgram('func a(%x: fp16[n,1]) -> (%x) {\n  return %x\n}\nfunc b() -> (%c) {\n  %c = const() {dtype="bool", shape=[], value=[1]} : bool[]\n  return %c\n}\n');
    expect([...p.functions.keys()]).toEqual(['a', 'b']);
    expect(p.fn('a').inputs[0]!.type).toEqual({ dtype: 'fp16', shape: ['n', 1] });
    expect(p.fn('b').outputs[0]!.type).toEqual({ dtype: 'bool', shape: [] });
    expect(parseProgram('  // nothing\n').functions.size).toBe(0);
  });

  it('checks const weights only when a store is given', () => {
    const text = 'func main() -> (%w) {\n  %w = const() {dtype="fp32", shape=[2], weight="enc.w"} : fp32[2]\n  return %w\n}';
    expect(parseProgram(text).weights.size).toBe(0);
    const ws = new WeightStore();
    ws.add('enc.w', memorySource(tensor('fp32', [2], [1, 2])));
    expect(parseProgram(text, ws).weights).toBe(ws);
    const missing = err(text, new WeightStore(), 'w.mlir');
    expect(missing.code).toBe('E_WEIGHT_MISSING');
    expect(missing.loc).toEqual({ file: 'w.mlir', line: 2, col: 3 });
    const other = new WeightStore();
    other.add('enc.w', memorySource(tensor('fp16', [2], [1, 2])));
    const mism = err(text, other);
    expect(mism.code).toBe('E_WEIGHT_MISMATCH');
    expect(mism.message).toContain('fp16[2]');
  });
});

describe('parseProgram: errors carry code and line:col', () => {
  const cases: { name: string; text: string; code: string; line: number; col: number; has?: string[] }[] = [
    { name: 'missing paren', text: fn('  %y = test_relu(x=%x : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 23, has: ["expected ')'", "found ':'"] },
    { name: 'unknown op', text: fn('  %y = no_such(x=%x) : fp32[2,3]'), code: 'E_OP_UNKNOWN', line: 2, col: 8, has: ['no_such'] },
    { name: 'unknown value', text: fn('  %y = test_relu(x=%z) : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 20, has: ['%z'] },
    { name: 'forward reference', text: fn('  %a = test_relu(x=%y) : fp32[2,3]', '  %y = test_relu(x=%a) : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 20, has: ['%y'] },
    { name: 'duplicate result', text: fn('  %y = test_relu(x=%x) : fp32[2,3]', '  %y = test_relu(x=%x) : fp32[2,3]'), code: 'E_NAME', line: 3, col: 3, has: ['%y', 'twice'] },
    { name: 'result named like an input', text: fn('  %x = test_relu(x=%x) : fp32[2,3]', '  %y = test_relu(x=%x) : fp32[2,3]'), code: 'E_NAME', line: 2, col: 3 },
    { name: 'duplicate input', text: 'func f(%a: fp32[], %a: fp32[]) -> (%a) {\n  return %a\n}', code: 'E_NAME', line: 1, col: 20 },
    { name: 'declared type differs', text: fn('  %y = test_relu(x=%x) : fp32[3,2]'), code: 'E_VERIFY', line: 2, col: 26, has: ['test_relu', 'fp32[3,2]', 'fp32[2,3]'] },
    { name: 'declared dtype differs', text: fn('  %y = test_relu(x=%x) : fp16[2,3]'), code: 'E_VERIFY', line: 2, col: 26, has: ['fp16[2,3]', 'fp32[2,3]'] },
    { name: 'too few types', text: fn('  %a, %y = test_split(x=%x) {num_splits=2} : fp32[1,3]'), code: 'E_VERIFY', line: 2, col: 46 },
    { name: 'too few names', text: fn('  %y = test_split(x=%x) {num_splits=2} : fp32[1,3], fp32[1,3]'), code: 'E_VERIFY', line: 2, col: 3 },
    { name: 'int attribute given a float', text: fn('  %y = test_split(x=%x) {num_splits=1.5} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 37, has: ['num_splits', 'integer', "'1.5'"] },
    { name: 'string attribute given a word', text: fn('  %y = test_attrs(x=%x) {s=same} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 28 },
    { name: 'string attribute outside oneOf', text: fn('  %y = test_attrs(x=%x) {s="diagonal"} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 3, has: ['none, same, valid'] },
    { name: 'list attribute given a scalar', text: fn('  %y = test_attrs(x=%x) {is=1} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 29 },
    { name: 'scalar attribute given a list', text: fn('  %y = test_attrs(x=%x) {i=[1]} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 28 },
    { name: 'bad list element', text: fn('  %y = test_attrs(x=%x) {is=[1, 2.5]} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 33 },
    { name: 'unknown dtype attribute', text: fn('  %y = test_attrs(x=%x) {dt="fp64"} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 3 },
    { name: 'unknown attribute', text: fn('  %y = test_relu(x=%x) {alpha=1} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 3, has: ['alpha'] },
    { name: 'duplicate attribute', text: fn('  %y = test_scale(x=%x) {factor=1, factor=2} : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 36 },
    { name: 'missing attribute', text: fn('  %y = test_concat(values=(%x)) : fp32[2,3]'), code: 'E_ATTR', line: 2, col: 3, has: ['axis'] },
    { name: 'unknown input', text: fn('  %y = test_relu(x=%x, w=%x) : fp32[2,3]'), code: 'E_INPUT', line: 2, col: 3, has: ["'w'"] },
    { name: 'duplicate input name', text: fn('  %y = test_relu(x=%x, x=%x) : fp32[2,3]'), code: 'E_INPUT', line: 2, col: 24 },
    { name: 'missing input', text: fn('  %y = test_add(x=%x) : fp32[2,3]'), code: 'E_INPUT', line: 2, col: 3, has: ["'y'"] },
    { name: 'single value for variadic', text: fn('  %y = test_concat(values=%x) {axis=0} : fp32[2,3]'), code: 'E_INPUT', line: 2, col: 3 },
    { name: 'shape inference error', text: 'func f(%a: fp32[2], %b: fp32[3]) -> (%c) {\n  %c = test_add(x=%a, y=%b) : fp32[3]\n  return %c\n}', code: 'E_SHAPE_MISMATCH', line: 2, col: 3, has: ['fp32[2]', 'fp32[3]'] },
    { name: 'unknown dtype', text: 'func f(%a: fp64[2]) -> (%a) {\n  return %a\n}', code: 'E_DTYPE_UNKNOWN', line: 1, col: 12 },
    { name: 'negative dim', text: 'func f(%a: fp32[-2]) -> (%a) {\n  return %a\n}', code: 'E_SHAPE_INVALID', line: 1, col: 17 },
    { name: 'fractional dim', text: 'func f(%a: fp32[2.5]) -> (%a) {\n  return %a\n}', code: 'E_SHAPE_INVALID', line: 1, col: 17 },
    { name: 'symbol with a dot', text: 'func f(%a: fp32[a.b]) -> (%a) {\n  return %a\n}', code: 'E_SHAPE_INVALID', line: 1, col: 12 },
    { name: 'overflowing shape', text: 'func f(%a: fp32[9007199254740991,4]) -> (%a) {\n  return %a\n}', code: 'E_SHAPE_OVERFLOW', line: 1, col: 12 },
    { name: 'bad character', text: fn('  %y = test_relu(x=%x) ; fp32[2,3]'), code: 'E_PARSE', line: 2, col: 24, has: ['";"'] },
    { name: 'bare percent', text: fn('  % = test_relu(x=%x) : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 3 },
    { name: 'unterminated string', text: fn('  %y = test_attrs(x=%x) {free="abc} : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 31, has: ['unterminated'] },
    { name: 'bad escape', text: fn('  %y = test_attrs(x=%x) {free="a\\q"} : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 33, has: ['\\q'] },
    { name: 'number glued to letters', text: fn('  %y = test_split(x=%x) {num_splits=2x} : fp32[2,3]'), code: 'E_PARSE', line: 2, col: 38 },
    { name: 'missing return', text: 'func f(%a: fp32[]) -> (%a) {\n}', code: 'E_PARSE', line: 2, col: 1, has: ["'return'", "'}'"] },
    { name: 'return differs from signature', text: fn('  %y = test_relu(x=%x) : fp32[2,3]').replace('return %y', 'return %x'), code: 'E_PARSE', line: 3, col: 10, has: ['(%x)', '(%y)'] },
    { name: 'no outputs', text: 'func f() -> () {\n  return\n}', code: 'E_VERIFY', line: 2, col: 3, has: ['no outputs'] },
    { name: 'unknown returned value', text: 'func f() -> (%q) {\n  return %q\n}', code: 'E_PARSE', line: 2, col: 10, has: ['%q'] },
    { name: 'duplicate function', text: 'func f(%a: fp32[]) -> (%a) {\n  return %a\n}\nfunc f(%a: fp32[]) -> (%a) {\n  return %a\n}', code: 'E_NAME', line: 4, col: 6 },
    { name: 'bad function name', text: 'func f.g(%a: fp32[]) -> (%a) {\n  return %a\n}', code: 'E_NAME', line: 1, col: 6 },
    { name: 'not a func', text: 'fun f() -> () {}', code: 'E_PARSE', line: 1, col: 1, has: ["'func'"] },
    { name: 'truncated', text: 'func f(%a: fp32[', code: 'E_PARSE', line: 1, col: 17, has: ['end of input'] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const e = err(c.text, undefined, 'case.mlir');
      expect(e.code).toBe(c.code);
      expect(e.loc).toEqual({ file: 'case.mlir', line: c.line, col: c.col });
      expect(e.message.startsWith(`case.mlir:${c.line}:${c.col}: ${c.code}: `)).toBe(true);
      for (const h of c.has ?? []) expect(e.message).toContain(h);
    });
  }

  it('uses <text> when no file is given', () => {
    const e = err(fn('  %y = test_relu(x=%q) : fp32[2,3]'));
    expect(e.loc).toEqual({ line: 2, col: 20 });
    expect(e.message.startsWith('<text>:2:20: E_PARSE')).toBe(true);
  });
});

describe('lexer', () => {
  it('tokenizes with 1-based line and column', () => {
    const toks = tokenize('func f(%a.b@1: fp32[n]) -> (%a.b@1) {\n  // c\n  x=-inf, "s\\"" -1.5e-3 1e+2\n}');
    const brief = toks.map((t) => `${t.kind}:${t.text}@${t.line}:${t.col}`);
    expect(brief).toEqual([
      'ident:func@1:1', 'ident:f@1:6', 'punct:(@1:7', 'value:%a.b@1@1:8', 'punct::@1:14', 'ident:fp32@1:16', 'punct:[@1:20', 'ident:n@1:21', 'punct:]@1:22',
      'punct:)@1:23', 'punct:->@1:25', 'punct:(@1:28', 'value:%a.b@1@1:29', 'punct:)@1:35', 'punct:{@1:37',
      'ident:x@3:3', 'punct:=@3:4', 'number:-inf@3:5', 'punct:,@3:9', 'string:"s\\""@3:11', 'number:-1.5e-3@3:17', 'number:1e+2@3:25',
      'punct:}@4:1', 'eof:@4:2',
    ]);
    expect(toks[3]!.str).toBe('a.b@1');
    expect(toks[17]!.num).toBe(-Infinity);
    expect(toks[19]!.str).toBe('s"');
    expect(toks[20]!.num).toBe(-0.0015);
  });
});

/** Only coded, located errors (or success) are allowed on any input. */
function parseSafely(text: string, weights: WeightStore = new WeightStore()): void {
  try {
    // With a store given, weight references are checked too, so whatever parses verifies.
    const p = parseProgram(text, weights);
    // Whatever parses is valid IR whose printing is a fixpoint.
    expect(collectDiagnostics(p)).toEqual([]);
    const printed = printProgram(p);
    expect(printProgram(parseProgram(printed, weights))).toBe(printed);
  } catch (e) {
    if (!(e instanceof FastVlmError)) throw e;
    expect(e.loc).toBeDefined();
    expect(e.loc!.line).toBeGreaterThanOrEqual(1);
  }
}

/** Any code points, ASCII-heavy (cheaper to generate than fast-check's binary unit). */
const anyString = (maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 0x10ffff })), { maxLength }).map((cs) => String.fromCodePoint(...cs));

const TOKENS = ['func', 'return', '%x0', '%zz', '(', ')', '{', '}', '[', ']', ',', '=', ':', '->', '"s', '"', '\\', '-', 'inf', 'nan', '1e999', '-0', '2.5', '//', '\n', 'fp32[', 'test_relu', 'const', '%', '@', '.', 'ééé', '\u0000'];

describe('parseProgram: fuzz', () => {
  it('never throws an uncoded error on random strings', () => {
    fc.assert(fc.property(anyString(160), (t) => parseSafely(t)), { numRuns: 300 });
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(' ')), (t) => parseSafely(t)), { numRuns: 300 });
  });

  it('never throws an uncoded error on mutations of valid text', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), tok: fc.constantFrom(...TOKENS) }),
      fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), len: fc.nat() }),
      fc.record({ kind: fc.constant('dup-line' as const), at: fc.nat(), len: fc.constant(0) }),
    );
    fc.assert(
      fc.property(arbProgram(FIXTURE_PROGRAM_OPTIONS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (p, muts) => {
        let text = printProgram(p);
        for (const m of muts) {
          const at = text.length ? m.at % text.length : 0;
          if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.len);
          else if (m.kind === 'insert') text = text.slice(0, at) + m.tok + text.slice(at);
          else {
            const lines = text.split('\n');
            const i = at % lines.length;
            const j = m.len % lines.length;
            if (m.kind === 'dup-line') lines.splice(i, 0, lines[i]!);
            else [lines[i], lines[j]] = [lines[j]!, lines[i]!];
            text = lines.join('\n');
          }
        }
        parseSafely(text, p.weights);
      }),
      { numRuns: 300 },
    );
  });
});
