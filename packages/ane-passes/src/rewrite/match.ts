/**
 * Matching patterns against the IR: a small backtracking matcher over op trees with captures
 * (commutative inputs and `oneOf` alternatives undo the captures of a failed branch).
 * @module
 */
import type { AttrValue, Op, Program, Tensor, Value } from '@fastvlm/graph';
import { passError } from '../errors.js';
import type { FunctionEditor } from '../ir/editor.js';
import { approxEq, readConst, splatOf } from '../ir/consts.js';
import type { AttrConstraint, OpPattern, ValuePattern } from './pattern.js';

/** The captures of a successful match. */
export class Match {
  /** @internal */
  readonly values = new Map<string, Value>();
  /** @internal */
  readonly ops = new Map<string, Op>();
  private readonly trail: [kind: 'v' | 'o', name: string][] = [];

  constructor(
    readonly editor: FunctionEditor,
    /** The op the pattern's root matched. */
    readonly root: Op,
    /** The pattern's name (for error messages). */
    readonly patternName: string,
  ) {}

  get program(): Program {
    return this.editor.program;
  }

  /** True when `name` captured a value or an op. */
  has(name: string): boolean {
    return this.values.has(name) || this.ops.has(name);
  }

  /** The value captured as `name` (E_PATTERN when the pattern has no such capture). */
  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw passError('E_PATTERN', `pattern '${this.patternName}' captured no value named '${name}' (captured: ${[...this.values.keys()].join(', ') || 'none'})`, { where: this.patternName });
    return v;
  }

  /** The value captured as `name`, or undefined. */
  maybeValue(name: string): Value | undefined {
    return this.values.get(name);
  }

  /** The op captured as `name` (E_PATTERN when absent). */
  op(name: string): Op {
    const o = this.ops.get(name);
    if (!o) throw passError('E_PATTERN', `pattern '${this.patternName}' captured no op named '${name}' (captured: ${[...this.ops.keys()].join(', ') || 'none'})`, { where: this.patternName });
    return o;
  }

  /** The tensor of a captured constant (E_PATTERN when it is not a readable const). */
  tensor(name: string, maxElements = Number.POSITIVE_INFINITY): Tensor {
    const t = readConst(this.program, this.value(name), maxElements);
    if (!t) throw passError('E_PATTERN', `pattern '${this.patternName}': capture '${name}' is not a readable constant`, { where: this.patternName });
    return t;
  }

  /** The splat value of a captured constant (E_PATTERN when not a splat). */
  splat(name: string): number {
    const s = splatOf(this.program, this.value(name));
    if (s === undefined) throw passError('E_PATTERN', `pattern '${this.patternName}': capture '${name}' is not a splat constant`, { where: this.patternName });
    return s;
  }

  /** @internal */
  mark(): number {
    return this.trail.length;
  }

  /** @internal */
  undo(mark: number): void {
    while (this.trail.length > mark) {
      const [k, n] = this.trail.pop()!;
      if (k === 'v') this.values.delete(n);
      else this.ops.delete(n);
    }
  }

  /** @internal binds or checks a value capture. */
  bindValue(name: string, v: Value): boolean {
    const prev = this.values.get(name);
    if (prev) return prev === v;
    this.values.set(name, v);
    this.trail.push(['v', name]);
    return true;
  }

  /** @internal binds or checks an op capture. */
  bindOp(name: string, o: Op): boolean {
    const prev = this.ops.get(name);
    if (prev) return prev === o;
    this.ops.set(name, o);
    this.trail.push(['o', name]);
    return true;
  }
}

function attrEq(a: AttrValue | undefined, b: AttrValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return (a as readonly unknown[]).every((x, i) => x === (b as readonly unknown[])[i]);
  }
  return a === b;
}

function attrOk(c: AttrConstraint, v: AttrValue | undefined): boolean {
  return typeof c === 'function' ? c(v) : attrEq(v, c);
}

/** Matches `p` against a value (undefined: an omitted optional input). */
export function matchValue(p: ValuePattern, v: Value | undefined, m: Match): boolean {
  switch (p.type) {
    case 'any':
      return true;
    case 'absent':
      return v === undefined;
    case 'capture': {
      if (v === undefined) return false;
      const mark = m.mark();
      if (!m.bindValue(p.name, v)) return false;
      if (p.inner && !matchValue(p.inner, v, m)) {
        m.undo(mark);
        return false;
      }
      return true;
    }
    case 'const': {
      if (v === undefined || v.producer?.kind !== 'const') return false;
      if (p.splat !== undefined) {
        const s = splatOf(m.program, v);
        if (s === undefined) return false;
        if (typeof p.splat === 'number' ? !(s === p.splat || approxEq(s, p.splat, p.rel)) : !p.splat(s)) return false;
      }
      return p.name === undefined || m.bindValue(p.name, v);
    }
    case 'oneOf': {
      for (const alt of p.options) {
        const mark = m.mark();
        if (matchValue(alt, v, m)) return true;
        m.undo(mark);
      }
      return false;
    }
    case 'op':
      return v !== undefined && v.producer !== null && v.producer.outputs[p.output] === v && matchOp(p, v.producer, m);
  }
}

function matchInputs(p: OpPattern, o: Op, m: Match, swap: boolean): boolean {
  for (const [name, sub] of Object.entries(p.inputs)) {
    const actualName = swap && name === 'x' ? 'y' : swap && name === 'y' ? 'x' : name;
    const actual = o.inputs[actualName];
    if (Array.isArray(sub)) {
      if (!Array.isArray(actual) || actual.length !== sub.length) return false;
      const list = actual as readonly Value[];
      for (let i = 0; i < sub.length; i++) if (!matchValue((sub as readonly ValuePattern[])[i]!, list[i], m)) return false;
    } else {
      if (Array.isArray(actual)) return false;
      if (!matchValue(sub as ValuePattern, actual as Value | undefined, m)) return false;
    }
  }
  return true;
}

/** Matches an op pattern against an op (its kind, attributes, uses, inputs). */
export function matchOp(p: OpPattern, o: Op, m: Match): boolean {
  if (!p.kinds.includes(o.kind)) return false;
  if (p.singleUse) {
    let uses = 0;
    for (const out of o.outputs) {
      if (m.editor.isOutput(out)) return false;
      uses += m.editor.useCount(out);
    }
    if (uses !== 1) return false;
  }
  for (const [k, c] of Object.entries(p.attrs)) if (!attrOk(c, o.attrs[k])) return false;
  if (p.where && !p.where(o)) return false;
  const mark = m.mark();
  if (p.as !== undefined && !m.bindOp(p.as, o)) return false;
  if (matchInputs(p, o, m, false)) return true;
  m.undo(mark);
  if (p.commutative && 'x' in o.inputs && 'y' in o.inputs) {
    if (p.as !== undefined && !m.bindOp(p.as, o)) return false;
    if (matchInputs(p, o, m, true)) return true;
    m.undo(mark);
  }
  return false;
}
