/**
 * A MIL text printer for people, in the style of coremltools' `Program.__str__`:
 *
 * ```
 * main[CoreML8](%x: (1, 4, fp32)(Tensor)) {
 *   block0() {
 *     %y: (1, 4, fp32)(Tensor) = linear(x=%x, weight=%w, name="y")
 *     %z: (1, 4, fp32)(Tensor) = mul(x=%y, y=-1.0, name="z")
 *   } -> (%z)
 * }
 * ```
 *
 * Like coremltools, `const` ops are not printed: a constant of at most 10 elements is shown in
 * place where it is used (numbers as Python prints them), a larger one by its `%name`. With
 * `showConsts`, const ops are printed too (`= const(val=..., name=...)`, blobs as
 * `BLOB(offset=...)`).
 * @module
 */
import { Program, numel } from '@fastvlm/graph';
import { decodeMilValue } from '../mil/values.js';
import { lowerProgram } from '../lower/program.js';
import type { LowerOptions } from '../lower/options.js';
import { MIL_OPS } from '../lower/mil-schema.js';
import { milTypeName } from '../lower/values.js';
import type { MilBlock, MilFunction, MilOperation, MilValue, MilValueType } from '../proto/mil-types.js';
import type { CoreMLModel } from '../proto/model-types.js';

/** Options of {@link printMil}. */
export interface PrintMilOptions extends LowerOptions {
  /** Also print the `const` ops (coremltools hides them). */
  readonly showConsts?: boolean;
}

const SPACES = '  ';

/** Python's `repr` of a float (shortest round-trip digits; exponent form below 1e-4 and from 1e16). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant = '', expStr = '0'] = x.toExponential().split('e');
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  if (exp >= -4 && exp < 16) {
    let s: string;
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1);
      s = `${intPart}.${frac === '' ? '0' : frac}`;
    } else {
      s = `0.${'0'.repeat(-exp - 1)}${digits}`;
    }
    return neg ? `-${s}` : s;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
  return `${neg ? '-' : ''}${m}e${exp < 0 ? '-' : '+'}${e}`;
}

/** `(1, 4, fp32)(Tensor)` / `(4,fp32)(Tensor)` / `(fp32)(Scalar)`, as coremltools prints a var's type. */
export function printMilType(t: MilValueType | undefined): string {
  const tt = t?.tensorType;
  if (!tt) {
    if (t?.stateType) return `${printMilType(t.stateType.wrappedType).replace(/\((Tensor|Scalar)\)$/, '')}(State)`;
    return '(?)';
  }
  const dims = (tt.dimensions ?? []).map((d, i) => (d.constant ? String(d.constant.size ?? 0) : `is${i}`));
  const dt = milTypeName(tt.dataType);
  if (dims.length === 0) return `(${dt})(Scalar)`;
  if (dims.length === 1) return `(${dims[0]},${dt})(Tensor)`;
  return `(${dims.join(', ')}, ${dt})(Tensor)`;
}

function opName(op: MilOperation): string {
  return op.attributes?.name?.immediateValue?.tensor?.strings?.values?.[0] ?? '';
}

/** Flat elements of an inline value as printable atoms, or undefined when not inline. */
function inlineAtoms(v: MilValue): { atoms: string[]; shape: number[] } | undefined {
  const tt = v.type?.tensorType;
  if (!tt || !v.immediateValue?.tensor) return undefined;
  const shape = (tt.dimensions ?? []).map((d) => d.constant?.size ?? 0);
  let d;
  try {
    d = decodeMilValue(v);
  } catch {
    return { atoms: ['?'], shape: [] };
  }
  const dt = d.dtype;
  const isFloatType = dt === 'fp32' || dt === 'fp16' || dt === 'fp64' || dt === 'bf16';
  const atoms =
    dt === 'string'
      ? (d.data as readonly string[]).map((x) => JSON.stringify(x))
      : dt === 'bool'
        ? Array.from(d.data as ArrayLike<number>, (b) => (b ? 'True' : 'False'))
        : Array.from(d.data as ArrayLike<number>, (x) => (isFloatType ? pyFloat(x) : String(x)));
  return { atoms, shape };
}

/** Nests flat atoms by shape: `[[1.0, 2.0], [3.0, 4.0]]`; a scalar prints bare. */
function nest(atoms: readonly string[], shape: readonly number[]): string {
  if (shape.length === 0) return atoms[0] ?? '?';
  let pos = 0;
  const rec = (d: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < shape[d]!; i++) parts.push(d === shape.length - 1 ? (atoms[pos++] ?? '?') : rec(d + 1));
    return `[${parts.join(', ')}]`;
  };
  return rec(0);
}

/** How a const value is shown where used (at most 10 elements) or in a const line. */
function showValue(v: MilValue, full: boolean): string | undefined {
  if (v.blobFileValue) return full ? `BLOB(offset=${v.blobFileValue.offset ?? 0})` : undefined;
  const a = inlineAtoms(v);
  if (!a) return undefined;
  if (!full && numel(a.shape) > 10) return undefined;
  return nest(a.atoms, a.shape);
}

/** An inline parameter (constexpr attribute or binding value): small ones in full, else its type. */
function showParam(v: MilValue): string {
  if (v.blobFileValue) return `BLOB(offset=${v.blobFileValue.offset ?? 0})`;
  return showValue(v, false) ?? printMilType(v.type).replace(/\((Tensor|Scalar)\)$/, '');
}

class Printer {
  private blockCounter = 0;
  constructor(private readonly showConsts: boolean) {}

  fn(name: string, f: MilFunction): string {
    const head = `${name}[${f.opset ?? ''}]`;
    const ins = (f.inputs ?? []).map((i) => `%${i.name ?? ''}: ${printMilType(i.type)}`);
    let s = ins.length === 0 ? `${head}()` : `${head}(${ins.join(`,\n${' '.repeat(head.length + 1)}`)})`;
    s += ' {\n';
    const block = f.blockSpecializations?.[f.opset ?? ''] ?? Object.values(f.blockSpecializations ?? {})[0];
    if (block) s += this.block(block, SPACES);
    return `${s}}\n`;
  }

  block(b: MilBlock, indent: string): string {
    const consts = new Map<string, MilValue>();
    for (const op of b.operations ?? []) {
      if (op.type === 'const' && op.attributes?.val && op.outputs?.[0]?.name) consts.set(op.outputs[0].name, op.attributes.val);
    }
    const ins = (b.inputs ?? []).map((i) => `%${i.name ?? ''}: ${printMilType(i.type)}`);
    let s = `${indent}block${this.blockCounter++}(${ins.join(', ')}) {\n`;
    for (const op of b.operations ?? []) s += this.op(op, indent + SPACES, consts);
    s += `${indent}} -> (${(b.outputs ?? []).map((o) => `%${o}`).join(', ')})\n`;
    return s;
  }

  op(op: MilOperation, indent: string, consts: ReadonlyMap<string, MilValue>): string {
    const outs = (op.outputs ?? []).map((o) => `%${o.name ?? ''}: ${printMilType(o.type)}`).join(', ');
    const type = op.type ?? '?';
    const args: string[] = [];
    if (type === 'const') {
      if (!this.showConsts) return '';
      const val = op.attributes?.val;
      args.push(`val=${val ? (showValue(val, true) ?? '?') : '?'}`);
    } else {
      const order = Object.keys(MIL_OPS[type]?.[0]?.inputs ?? {});
      const keys = Object.keys(op.inputs ?? {}).sort((a, b) => rank(order, a) - rank(order, b) || (a < b ? -1 : a > b ? 1 : 0));
      for (const k of keys) {
        const bindings = op.inputs![k]!.arguments ?? [];
        const shown = bindings.map((bd) => {
          if (bd.value) return showParam(bd.value);
          const n = bd.name ?? '?';
          const c = consts.get(n);
          return (c && showValue(c, false)) ?? `%${n}`;
        });
        args.push(`${k}=${bindings.length === 1 && !isTuple(type, k) ? shown[0] : `(${shown.join(', ')})`}`);
      }
      // constexpr ops up to iOS17 hold their parameters as attributes.
      for (const [k, v] of Object.entries(op.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (k !== 'name') args.push(`${k}=${showParam(v)}`);
      }
    }
    args.push(`name=${JSON.stringify(opName(op))}`);
    let s = `${indent}${outs} = ${type}(${args.join(', ')})\n`;
    for (const b of op.blocks ?? []) s += this.block(b, indent + SPACES);
    return s;
  }
}

function rank(order: readonly string[], k: string): number {
  const i = order.indexOf(k);
  return i < 0 ? order.length : i;
}

function isTuple(type: string, input: string): boolean {
  return MIL_OPS[type]?.[0]?.inputs[input]?.tuple === true;
}

/**
 * Prints a model's ML program (or lowers a Program first, with `opts` as lowering options) as
 * MIL text in coremltools' style. Functions print in the model's order (the default function
 * of a multifunction model first). Deterministic.
 */
export function printMil(input: CoreMLModel | Program, opts: PrintMilOptions = {}): string {
  const model = input instanceof Program ? lowerProgram(input, opts) : input;
  const fns = model.mlProgram?.functions ?? {};
  const desc = model.description;
  const order = desc?.functions?.length ? desc.functions.map((f) => f.name ?? '') : Object.keys(fns);
  const names = [...order.filter((n) => n in fns), ...Object.keys(fns).filter((n) => !order.includes(n))];
  const p = new Printer(opts.showConsts === true);
  let s = '';
  for (const n of names) s += `\n${p.fn(n, fns[n]!)}`;
  return s;
}
