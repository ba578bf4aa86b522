/**
 * In-place editing of one function with constant-time bookkeeping: a linked op list (insert
 * before any op), a use map (who uses a value, how often), fresh names, and validated op
 * creation. Passes edit through it and {@link FunctionEditor.commit} writes the op order back,
 * so a pass over ~10k ops stays linear in the number of rewrites instead of rescanning.
 * @module
 */
import {
  type Attrs,
  type Func,
  NameScope,
  Op,
  type OpInputs,
  type Program,
  type SourceLoc,
  type TensorType,
  Value,
  checkOp,
  fmtType,
  getOp,
  shapeEq,
} from '@fastvlm/graph';
import type { InferInputs } from '@fastvlm/graph';
import { passError } from '../errors.js';

interface Links {
  prev: Op | null;
  next: Op | null;
}

/** Options of {@link FunctionEditor.create}. */
export interface CreateOptions {
  /** Name hint for fresh output names (default: the op kind). */
  readonly hint?: string;
  /** Exact output names (must be free). */
  readonly names?: readonly string[];
  readonly loc?: SourceLoc;
}

/** Result of {@link FunctionEditor.replaceAllUses}. */
export interface ReplaceResult {
  /** Number of uses moved (op inputs and function outputs). */
  readonly moved: number;
  /** True when a function output had to keep the old value (see replaceAllUses). */
  readonly outputKept: boolean;
}

/** True when two tensor types are equal. */
export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapeEq(a.shape, b.shape);
}

/** Editable view of one function. */
export class FunctionEditor {
  readonly names: NameScope;
  private head: Op | null = null;
  private tail: Op | null = null;
  private readonly links = new Map<Op, Links>();
  private readonly uses = new Map<Value, Map<Op, number>>();
  private readonly outputUses = new Map<Value, number>();
  private readonly fnInputs: Set<Value>;

  constructor(
    readonly program: Program,
    readonly fn: Func,
  ) {
    this.names = NameScope.of(fn);
    this.fnInputs = new Set(fn.inputs);
    for (const op of fn.body.ops) {
      this.link(op, null);
      this.addUses(op);
    }
    for (const v of fn.body.outputs) this.outputUses.set(v, (this.outputUses.get(v) ?? 0) + 1);
  }

  // ---- op list -------------------------------------------------------------------------

  /** Number of live ops. */
  get size(): number {
    return this.links.size;
  }

  /** True when `op` is in the function (not erased). */
  contains(op: Op): boolean {
    return this.links.has(op);
  }

  /** The live ops in order (a snapshot: safe to edit while iterating). */
  ops(): Op[] {
    const out: Op[] = [];
    for (let op = this.head; op; op = this.links.get(op)!.next) out.push(op);
    return out;
  }

  /** The op after `op`, or null. */
  next(op: Op): Op | null {
    return this.links.get(op)?.next ?? null;
  }

  /** The first op, or null for an empty body. */
  first(): Op | null {
    return this.head;
  }

  private link(op: Op, before: Op | null): void {
    if (this.links.has(op)) throw passError('E_REWRITE_INVALID', `op ${op.kind} is already in function '${this.fn.name}'`, { where: this.fn.name });
    if (before === null) {
      const l: Links = { prev: this.tail, next: null };
      this.links.set(op, l);
      if (this.tail) this.links.get(this.tail)!.next = op;
      else this.head = op;
      this.tail = op;
      return;
    }
    const b = this.links.get(before);
    if (!b) throw passError('E_REWRITE_INVALID', `cannot insert before op ${before.kind}: it is not in function '${this.fn.name}'`, { where: this.fn.name });
    const l: Links = { prev: b.prev, next: before };
    this.links.set(op, l);
    if (b.prev) this.links.get(b.prev)!.next = op;
    else this.head = op;
    b.prev = op;
  }

  private unlink(op: Op): void {
    const l = this.links.get(op);
    if (!l) return;
    if (l.prev) this.links.get(l.prev)!.next = l.next;
    else this.head = l.next;
    if (l.next) this.links.get(l.next)!.prev = l.prev;
    else this.tail = l.prev;
    this.links.delete(op);
  }

  // ---- uses ----------------------------------------------------------------------------

  private addUse(v: Value, op: Op): void {
    let m = this.uses.get(v);
    if (!m) this.uses.set(v, (m = new Map()));
    m.set(op, (m.get(op) ?? 0) + 1);
  }

  private dropUse(v: Value, op: Op): void {
    const m = this.uses.get(v);
    const n = m?.get(op);
    if (!m || n === undefined) return;
    if (n <= 1) m.delete(op);
    else m.set(op, n - 1);
  }

  private addUses(op: Op): void {
    for (const v of op.inputValues()) this.addUse(v, op);
  }

  private dropUses(op: Op): void {
    for (const v of op.inputValues()) this.dropUse(v, op);
  }

  /** The distinct ops using `v`, in the order they started using it. */
  users(v: Value): Op[] {
    const m = this.uses.get(v);
    return m ? [...m.keys()] : [];
  }

  /** Uses of `v`: op input slots plus function output slots. */
  useCount(v: Value): number {
    let n = this.outputUses.get(v) ?? 0;
    const m = this.uses.get(v);
    if (m) for (const c of m.values()) n += c;
    return n;
  }

  /** True when `v` is a function output. */
  isOutput(v: Value): boolean {
    return (this.outputUses.get(v) ?? 0) > 0;
  }

  /** True when `v` is a function input. */
  isFunctionInput(v: Value): boolean {
    return this.fnInputs.has(v);
  }

  /** True when no output of `op` is used. */
  isDead(op: Op): boolean {
    return op.outputs.every((o) => this.useCount(o) === 0);
  }

  // ---- creation ------------------------------------------------------------------------

  /**
   * Validates an op against its definition (same checks and coded errors as the DSL) and
   * creates it with fresh output names. The op is not inserted yet.
   */
  create(kind: string, inputs: OpInputs, attrs: Attrs = {}, opts: CreateOptions = {}): Op {
    const def = getOp(kind);
    const types: Record<string, TensorType | TensorType[]> = {};
    for (const [k, v] of Object.entries(inputs)) {
      types[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => x.type) : (v as Value).type;
    }
    const where = `${this.fn.name}: ${kind}${opts.hint !== undefined ? ` (${opts.hint})` : ''}`;
    const { attrs: resolved, outputs } = checkOp(def, types as InferInputs, attrs, where, opts.loc);
    if (opts.names && opts.names.length !== outputs.length) {
      throw passError('E_REWRITE_INVALID', `${kind} yields ${outputs.length} values but ${opts.names.length} names were given`, { where });
    }
    const outs = outputs.map((t, i) => new Value(opts.names ? this.names.claim(opts.names[i]!, where) : this.names.fresh(opts.hint ?? kind), t));
    return new Op(kind, { ...inputs }, resolved, outs, opts.loc);
  }

  /** Inserts a created op before `before` (null: at the end) and records its uses. */
  insert(op: Op, before: Op | null): Op {
    this.link(op, before);
    this.addUses(op);
    return op;
  }

  /** Creates and inserts an op before `before` (null: at the end). */
  add(kind: string, inputs: OpInputs, attrs: Attrs = {}, before: Op | null = null, opts: CreateOptions = {}): Op {
    return this.insert(this.create(kind, inputs, attrs, opts), before);
  }

  /** Sets an op's inputs (uses updated). Types are the caller's responsibility. */
  setInputs(op: Op, inputs: OpInputs): void {
    if (this.links.has(op)) this.dropUses(op);
    op.inputs = { ...inputs };
    if (this.links.has(op)) this.addUses(op);
  }

  /** Sets an op's attributes (already resolved). */
  setAttrs(op: Op, attrs: Attrs): void {
    op.attrs = attrs;
  }

  // ---- replacement and removal -----------------------------------------------------------

  /**
   * Replaces every use of `from` by `to` (op inputs and function outputs). Types must match
   * (E_REWRITE_INVALID). Function outputs keep their names, since the names are the function's
   * interface: when `from` is an output, `to` takes over its name (the two values swap names);
   * if `to` is a function input or already an output, that output keeps `from` (reported in
   * `outputKept`). With `adoptName` the names are swapped even when `from` is not an output
   * (used for freshly built replacements, so rewritten IR keeps the author's names).
   */
  replaceAllUses(from: Value, to: Value, opts: { adoptName?: boolean } = {}): ReplaceResult {
    if (from === to) return { moved: 0, outputKept: false };
    if (!sameType(from.type, to.type)) {
      throw passError('E_REWRITE_INVALID', `cannot replace %${from.name} (${fmtType(from.type)}) by %${to.name} (${fmtType(to.type)}): types differ`, {
        where: this.fn.name,
        details: { from: from.name, to: to.name, fromType: fmtType(from.type), toType: fmtType(to.type) },
      });
    }
    let moved = 0;
    const m = this.uses.get(from);
    if (m) {
      for (const [op, count] of [...m.entries()]) {
        const next: Record<string, Value | readonly Value[]> = {};
        for (const [k, v] of Object.entries(op.inputs)) {
          next[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => (x === from ? to : x)) : v === from ? to : (v as Value);
        }
        op.inputs = next;
        m.delete(op);
        for (let i = 0; i < count; i++) this.addUse(to, op);
        moved += count;
      }
    }
    let outputKept = false;
    const outCount = this.outputUses.get(from) ?? 0;
    const renamable = !this.fnInputs.has(to) && !this.isOutput(to);
    if (outCount > 0) {
      if (renamable) {
        const outs = this.fn.body.outputs;
        for (let i = 0; i < outs.length; i++) if (outs[i] === from) outs[i] = to;
        this.outputUses.delete(from);
        this.outputUses.set(to, outCount);
        moved += outCount;
        this.swapNames(from, to);
      } else {
        outputKept = true;
      }
    } else if (opts.adoptName && renamable) {
      this.swapNames(from, to);
    }
    return { moved, outputKept };
  }

  /**
   * Makes `to` the function output wherever `from` is one (types may differ: used to add
   * boundary casts). `to` takes over the output name when it is neither a function input nor
   * already an output. Returns the number of output slots changed.
   */
  replaceOutput(from: Value, to: Value): number {
    const n = this.outputUses.get(from) ?? 0;
    if (n === 0 || from === to) return 0;
    const renamable = !this.fnInputs.has(to) && !this.isOutput(to);
    const outs = this.fn.body.outputs;
    for (let i = 0; i < outs.length; i++) if (outs[i] === from) outs[i] = to;
    this.outputUses.delete(from);
    this.outputUses.set(to, (this.outputUses.get(to) ?? 0) + n);
    if (renamable) this.swapNames(from, to);
    return n;
  }

  private swapNames(a: Value, b: Value): void {
    const t = a.name;
    a.name = b.name;
    b.name = t;
  }

  /** Replaces the uses of `from` inside one op only. */
  replaceUsesIn(op: Op, from: Value, to: Value): void {
    const next: Record<string, Value | readonly Value[]> = {};
    for (const [k, v] of Object.entries(op.inputs)) {
      next[k] = Array.isArray(v) ? (v as readonly Value[]).map((x) => (x === from ? to : x)) : v === from ? to : (v as Value);
    }
    this.setInputs(op, next);
  }

  /** Removes an op whose outputs are unused (E_REWRITE_INVALID otherwise). */
  erase(op: Op): void {
    if (!this.links.has(op)) return;
    for (const o of op.outputs) {
      if (this.useCount(o) > 0) {
        throw passError('E_REWRITE_INVALID', `cannot erase op ${op.kind}: %${o.name} is still used`, { where: `${this.fn.name}: ${op.kind} -> %${o.name}` });
      }
    }
    this.dropUses(op);
    this.unlink(op);
  }

  /**
   * Erases the given ops when dead, then every producer that became dead as a result
   * (transitively). Returns the erased ops in erase order.
   */
  eraseDead(ops: Iterable<Op>): Op[] {
    const erased: Op[] = [];
    const stack = [...ops];
    while (stack.length) {
      const op = stack.pop()!;
      if (!this.links.has(op) || !this.isDead(op)) continue;
      const producers = op.inputValues().map((v) => v.producer).filter((p): p is Op => p !== null);
      this.erase(op);
      erased.push(op);
      for (const p of producers) stack.push(p);
    }
    return erased;
  }

  /** Writes the live op order back into the function. */
  commit(): void {
    this.fn.body.ops = this.ops();
  }
}
