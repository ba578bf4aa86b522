/**
 * The IR text parser: reads what `printProgram` writes (and hand-written IR in the same
 * grammar) into a Program. Ops are built through {@link FunctionBuilder.add}, so the parser
 * reports the same coded errors as the DSL; every error carries the source location.
 *
 * Grammar (`//` comments run to the end of the line):
 * ```
 * program  := func*
 * func     := 'func' NAME '(' [param (',' param)*] ')' '->' '(' [VALUE (',' VALUE)*] ')'
 *             '{' op* 'return' [VALUE (',' VALUE)*] '}'
 * param    := VALUE ':' type
 * type     := DTYPE '[' [dim (',' dim)*] ']'            dim := INT | SYMBOL
 * op       := VALUE (',' VALUE)* '=' KIND '(' [input (',' input)*] ')'
 *             ['{' [attr (',' attr)*] '}'] ':' type (',' type)*
 * input    := NAME '=' (VALUE | '(' [VALUE (',' VALUE)*] ')')
 * attr     := NAME '=' (scalar | '[' [scalar (',' scalar)*] ']')
 * scalar   := NUMBER | 'inf' | '-inf' | 'nan' | 'true' | 'false' | STRING | SYMBOL
 * ```
 * @module
 */
import { isDType, DTYPES } from '../dtype.js';
import { type SourceLoc, FastVlmError, graphError } from '../errors.js';
import { FunctionBuilder } from '../ir/build.js';
import { type AttrValue, Program, type TensorType, type Value } from '../ir/types.js';
import { FUNC_NAME_RE } from '../ir/verify.js';
import type { AttrKind, AttrSpec, OpDef } from '../ops/def.js';
import { getOp } from '../ops/registry.js';
import { fmtType } from '../ops/validate.js';
import { type Dim, checkShape, formatShape, shapeEq } from '../shape.js';
import { WeightStore } from '../weights/store.js';
import { type Token, describeToken, tokenize } from './lexer.js';

/** Options of {@link parseProgram}. */
export interface ParseOptions {
  /** File name shown in error locations and op `loc`s. */
  readonly file?: string;
}

/** Re-raises `e` with `loc` attached (keeping a more precise location it already has). */
function located(e: unknown, loc: SourceLoc): never {
  if (e instanceof FastVlmError) {
    if (e.loc) throw e;
    throw new FastVlmError(e.code, e.detail, { ...(e.where !== undefined ? { where: e.where } : {}), loc, details: e.details, cause: e });
  }
  throw graphError('E_PARSE', `internal parser failure: ${e instanceof Error ? e.message : String(e)}`, { loc, cause: e });
}

/** A parsed attribute value before it is checked against the op definition. */
type RawAttr = { readonly tok: Token; readonly list?: readonly Token[] };

/** What one token means for an attribute of `kind`, or undefined when it does not fit. */
function scalarOf(tok: Token, kind: AttrKind | undefined): number | string | boolean | undefined {
  const word = tok.kind === 'ident' ? tok.text : undefined;
  switch (kind) {
    case 'int':
    case 'ints':
      return tok.kind === 'number' && Number.isSafeInteger(tok.num) ? tok.num : undefined;
    case 'float':
    case 'floats':
      if (tok.kind === 'number') return tok.num;
      return word === 'inf' ? Infinity : word === 'nan' ? NaN : undefined;
    case 'bool':
      return word === 'true' ? true : word === 'false' ? false : undefined;
    case 'string':
    case 'strings':
    case 'dtype':
      return tok.kind === 'string' ? tok.str : undefined;
    case 'dims':
      if (tok.kind === 'number') return Number.isSafeInteger(tok.num) ? tok.num : undefined;
      return word;
    case undefined:
      // An attribute the definition does not know: keep the literal; checkOp rejects the name.
      if (tok.kind === 'number') return tok.num;
      if (tok.kind === 'string') return tok.str;
      if (word === 'true' || word === 'false') return word === 'true';
      if (word === 'inf') return Infinity;
      if (word === 'nan') return NaN;
      return word;
  }
}

const LIST_KINDS: ReadonlySet<AttrKind> = new Set(['ints', 'floats', 'strings', 'dims']);

function describeKind(kind: AttrKind): string {
  switch (kind) {
    case 'int': return 'an integer';
    case 'float': return 'a number (or inf, -inf, nan)';
    case 'bool': return 'true or false';
    case 'string': return 'a string literal';
    case 'dtype': return `a dtype string literal (${DTYPES.join(', ')})`;
    case 'ints': return 'a list of integers';
    case 'floats': return 'a list of numbers';
    case 'strings': return 'a list of string literals';
    case 'dims': return 'a list of integers and symbols';
  }
}

class Parser {
  private pos = 0;
  private readonly program: Program;
  private readonly checkWeights: boolean;

  constructor(
    private readonly toks: readonly Token[],
    private readonly file: string | undefined,
    weights: WeightStore | undefined,
  ) {
    this.program = new Program(weights ?? new WeightStore());
    this.checkWeights = weights !== undefined;
  }

  private get tok(): Token {
    return this.toks[this.pos]!;
  }

  /** The location of a token. */
  loc(t: Token = this.tok): SourceLoc {
    return { ...(this.file !== undefined ? { file: this.file } : {}), line: t.line, col: t.col };
  }

  private fail(expected: string, t: Token = this.tok): never {
    throw graphError('E_PARSE', `expected ${expected}, found ${describeToken(t)}`, { loc: this.loc(t) });
  }

  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private isPunct(p: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === p;
  }

  private eat(p: string): boolean {
    if (this.isPunct(p)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private expect(p: string): Token {
    if (!this.isPunct(p)) this.fail(`'${p}'`);
    return this.next();
  }

  private expectKind(kind: Token['kind'], what: string): Token {
    if (this.tok.kind !== kind) this.fail(what);
    return this.next();
  }

  private keyword(word: string): Token {
    if (this.tok.kind !== 'ident' || this.tok.text !== word) this.fail(`'${word}'`);
    return this.next();
  }

  /** A comma-separated list up to (not including) `close`; `item` parses one element. */
  private list<T>(close: string, item: () => T): T[] {
    const out: T[] = [];
    if (this.isPunct(close)) return out;
    for (;;) {
      out.push(item());
      if (!this.eat(',')) return out;
    }
  }

  parse(): Program {
    while (this.tok.kind !== 'eof') this.func();
    return this.program;
  }

  private type(): TensorType {
    const dt = this.expectKind('ident', 'a dtype');
    if (!isDType(dt.text)) throw graphError('E_DTYPE_UNKNOWN', `unknown dtype '${dt.text}'; expected one of ${DTYPES.join(', ')}`, { loc: this.loc(dt) });
    this.expect('[');
    const dims = this.list<Dim>(']', () => {
      const t = this.tok;
      if (t.kind === 'ident') return this.next().text;
      if (t.kind === 'number') {
        this.next();
        if (!Number.isSafeInteger(t.num) || t.num! < 0) throw graphError('E_SHAPE_INVALID', `dimension ${t.text} is not a non-negative integer`, { loc: this.loc(t) });
        return t.num!;
      }
      return this.fail('a dimension (integer or symbol)');
    });
    this.expect(']');
    try {
      checkShape(dims);
    } catch (e) {
      located(e, this.loc(dt));
    }
    return { dtype: dt.text, shape: dims };
  }

  private func(): void {
    this.keyword('func');
    const nameTok = this.expectKind('ident', 'a function name');
    const name = nameTok.text;
    if (!FUNC_NAME_RE.test(name)) throw graphError('E_NAME', `'${name}' is not a valid function name (${FUNC_NAME_RE.source})`, { loc: this.loc(nameTok) });
    if (this.program.functions.has(name)) throw graphError('E_NAME', `function '${name}' is defined twice`, { where: name, loc: this.loc(nameTok) });
    const b = new FunctionBuilder(name);
    const scope = new Map<string, Value>();
    this.expect('(');
    this.list(')', () => {
      const v = this.expectKind('value', 'a function input (%name)');
      this.expect(':');
      const type = this.type();
      try {
        scope.set(v.str!, b.input(v.str!, type));
      } catch (e) {
        located(e, this.loc(v));
      }
    });
    this.expect(')');
    this.expect('->');
    this.expect('(');
    const declared = this.list(')', () => this.expectKind('value', 'an output value (%name)'));
    this.expect(')');
    this.expect('{');
    for (;;) {
      const t = this.tok;
      if (t.kind === 'ident' && t.text === 'return') break;
      if (t.kind !== 'value') this.fail(`an op ('%name = kind(...)') or 'return'`);
      this.op(b, scope);
    }
    const retTok = this.next();
    const returned: Token[] = [];
    if (this.tok.kind === 'value') {
      returned.push(this.next());
      while (this.eat(',')) returned.push(this.expectKind('value', 'a returned value (%name)'));
    }
    const closing = this.tok;
    this.expect('}');
    const names = (ts: readonly Token[]): string => `(${ts.map((t) => t.text).join(', ')})`;
    if (names(returned) !== names(declared)) {
      throw graphError('E_PARSE', `function '${name}' returns ${names(returned)} but its signature declares ${names(declared)}`, { where: name, loc: this.loc(returned[0] ?? closing) });
    }
    if (returned.length === 0) throw graphError('E_VERIFY', `function '${name}' has no outputs; expected at least one returned value`, { where: name, loc: this.loc(retTok) });
    b.output(...returned.map((t) => this.resolve(t, scope)));
    this.program.addFunction(b.fn);
  }

  private resolve(t: Token, scope: ReadonlyMap<string, Value>): Value {
    const v = scope.get(t.str!);
    if (!v) throw graphError('E_PARSE', `unknown value ${t.text}: it is not a function input nor defined by an earlier op`, { loc: this.loc(t) });
    return v;
  }

  private attrValue(): RawAttr {
    const tok = this.tok;
    const scalar = (): Token => {
      const t = this.tok;
      if (t.kind === 'number' || t.kind === 'string' || t.kind === 'ident') return this.next();
      return this.fail('an attribute value (number, string, true, false, inf, nan or symbol)');
    };
    if (this.eat('[')) {
      const list = this.list(']', scalar);
      this.expect(']');
      return { tok, list };
    }
    return { tok: scalar() };
  }

  /** Converts a raw attribute to the kind its definition declares (E_ATTR when it does not fit). */
  private attr(def: OpDef, name: string, raw: RawAttr): AttrValue {
    const spec: AttrSpec | undefined = def.attrs.find((a) => a.name === name);
    const kind = spec?.kind;
    const bad = (t: Token): never => {
      throw graphError('E_ATTR', `${def.name} attribute '${name}' must be ${describeKind(kind!)}, found ${describeToken(t)}`, { where: def.name, loc: this.loc(t) });
    };
    if (raw.list) {
      if (kind !== undefined && !LIST_KINDS.has(kind)) bad(raw.tok);
      return raw.list.map((t) => {
        const v = scalarOf(t, kind);
        if (v === undefined || typeof v === 'boolean') return bad(t);
        return v;
      }) as readonly (number | string)[];
    }
    if (kind !== undefined && LIST_KINDS.has(kind)) bad(raw.tok);
    const v = scalarOf(raw.tok, kind);
    if (v === undefined) return bad(raw.tok);
    return v;
  }

  private op(b: FunctionBuilder, scope: Map<string, Value>): void {
    const first = this.tok;
    const opLoc = this.loc(first);
    const outs = [this.expectKind('value', 'a result name (%name)')];
    while (this.eat(',')) outs.push(this.expectKind('value', 'a result name (%name)'));
    this.expect('=');
    const kindTok = this.expectKind('ident', 'an op kind');
    let def: OpDef;
    try {
      def = getOp(kindTok.text);
    } catch (e) {
      located(e, this.loc(kindTok));
    }

    // Inputs: any order in the text; stored in definition order.
    this.expect('(');
    const given = new Map<string, Value | Value[]>();
    this.list(')', () => {
      const nameTok = this.expectKind('ident', 'an input name');
      if (given.has(nameTok.text)) throw graphError('E_INPUT', `${def.name} input '${nameTok.text}' is given twice`, { where: def.name, loc: this.loc(nameTok) });
      this.expect('=');
      if (this.eat('(')) {
        const vs = this.list(')', () => this.resolve(this.expectKind('value', 'a value (%name)'), scope));
        this.expect(')');
        given.set(nameTok.text, vs);
      } else {
        given.set(nameTok.text, this.resolve(this.expectKind('value', "a value (%name) or '('"), scope));
      }
    });
    this.expect(')');
    const inputs: Record<string, Value | readonly Value[]> = {};
    for (const spec of def.inputs) {
      const v = given.get(spec.name);
      if (v !== undefined) inputs[spec.name] = v;
    }
    for (const [k, v] of given) if (!(k in inputs)) inputs[k] = v;

    const attrs: Record<string, AttrValue> = {};
    if (this.eat('{')) {
      this.list('}', () => {
        const nameTok = this.expectKind('ident', 'an attribute name');
        if (Object.prototype.hasOwnProperty.call(attrs, nameTok.text)) {
          throw graphError('E_ATTR', `${def.name} attribute '${nameTok.text}' is given twice`, { where: def.name, loc: this.loc(nameTok) });
        }
        this.expect('=');
        attrs[nameTok.text] = this.attr(def, nameTok.text, this.attrValue());
      });
      this.expect('}');
    }

    this.expect(':');
    const typeToks: Token[] = [];
    const types: TensorType[] = [];
    for (;;) {
      typeToks.push(this.tok);
      types.push(this.type());
      if (!this.eat(',')) break;
    }

    const names = outs.map((t) => t.str!);
    let results: Value[];
    try {
      results = b.add(def.name, inputs, attrs, { names, loc: opLoc });
    } catch (e) {
      located(e, opLoc);
    }
    const where = `${def.name} -> ${outs.map((t) => t.text).join(', ')}`;
    if (types.length !== results.length) {
      throw graphError('E_VERIFY', `${def.name} yields ${results.length} values but ${types.length} types are declared`, { where, loc: this.loc(typeToks[0]) });
    }
    results.forEach((r, i) => {
      const want = types[i]!;
      if (r.type.dtype !== want.dtype || !shapeEq(r.type.shape, want.shape)) {
        throw graphError('E_VERIFY', `${def.name} result ${outs[i]!.text} is declared ${fmtType(want)} but inference gives ${fmtType(r.type)}`, {
          where,
          loc: this.loc(typeToks[i]),
          details: { declared: fmtType(want), inferred: fmtType(r.type) },
        });
      }
      scope.set(r.name, r);
    });
    if (def.name === 'const' && this.checkWeights && typeof attrs['weight'] === 'string') this.checkWeight(attrs['weight'], results[0]!.type, opLoc, where);
  }

  private checkWeight(name: string, type: TensorType, loc: SourceLoc, where: string): void {
    if (!this.program.weights.has(name)) throw graphError('E_WEIGHT_MISSING', `the weight store has no tensor named '${name}'`, { where, loc });
    const info = this.program.weights.info(name);
    if (info.dtype !== type.dtype || !shapeEq(info.shape, type.shape)) {
      throw graphError('E_WEIGHT_MISMATCH', `const declares ${fmtType(type)} but weight '${name}' is ${info.dtype}${formatShape(info.shape)}`, { where, loc });
    }
  }
}

/**
 * Parses IR text into a Program over `weights` (a new empty store when omitted; `const` weight
 * references are checked against the store only when one is given). Throws a coded
 * FastVlmError with a `loc` for every problem: E_PARSE (syntax, unknown value), E_OP_UNKNOWN,
 * E_NAME, E_ATTR, E_INPUT, E_VERIFY (declared type differs from inference), shape and dtype
 * errors of the op checks. Each op's `loc` is set to its line.
 */
export function parseProgram(text: string, weights?: WeightStore, opts: ParseOptions = {}): Program {
  const file = opts.file;
  let p: Parser | undefined;
  try {
    p = new Parser(tokenize(text, file), file, weights);
    return p.parse();
  } catch (e) {
    // Anything uncoded would be a parser bug; still report it coded and located.
    if (e instanceof FastVlmError && e.loc) throw e;
    return located(e, p ? p.loc() : { ...(file !== undefined ? { file } : {}), line: 1, col: 1 });
  }
}
