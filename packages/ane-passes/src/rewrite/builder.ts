/**
 * The builder handed to rewrites: creates validated ops at a fixed insertion point (before
 * the op being rewritten), inline constants and computed weights.
 * @module
 */
import {
  type Attrs,
  type DType,
  type Op,
  type OpInputs,
  type SourceLoc,
  type StaticShape,
  type Tensor,
  type Value,
  numel,
} from '@fastvlm/graph';
import { passError } from '../errors.js';
import type { FunctionEditor } from '../ir/editor.js';
import { addComputedWeight } from '../ir/consts.js';

/** Constants up to this many elements are written inline by default. */
export const DEFAULT_INLINE_LIMIT = 16;

/** Creates ops before an anchor op of a {@link FunctionEditor}. */
export class RewriteBuilder {
  /** Ops created through this builder, in creation order. */
  readonly created: Op[] = [];

  /**
   * @param editor the function being edited
   * @param anchor new ops go before it (null: at the end of the body)
   * @param loc location given to new ops (the rewritten op's, so errors point at the source)
   */
  constructor(
    readonly editor: FunctionEditor,
    private anchor: Op | null,
    readonly loc?: SourceLoc,
  ) {}

  /** Moves the insertion point: new ops go before `anchor` (null: at the end). */
  setAnchor(anchor: Op | null): void {
    this.anchor = anchor;
  }

  /** Adds an op and returns all its outputs. */
  add(kind: string, inputs: OpInputs, attrs: Attrs = {}, hint?: string): Value[] {
    const op = this.editor.add(kind, inputs, attrs, this.anchor, {
      ...(hint !== undefined ? { hint } : {}),
      ...(this.loc ? { loc: this.loc } : {}),
    });
    this.created.push(op);
    return op.outputs;
  }

  /** Adds a single-output op and returns its output. */
  op(kind: string, inputs: OpInputs, attrs: Attrs = {}, hint?: string): Value {
    const outs = this.add(kind, inputs, attrs, hint);
    if (outs.length !== 1) throw passError('E_REWRITE_INVALID', `${kind} has ${outs.length} outputs; use add() for multi-output ops`, { where: kind });
    return outs[0]!;
  }

  /** An inline constant. */
  constant(dtype: DType, shape: StaticShape, values: readonly number[], hint = 'const'): Value {
    return this.op('const', {}, { dtype, shape: [...shape], value: [...values] }, hint);
  }

  /** A rank-0 inline constant. */
  scalar(value: number, dtype: DType, hint = 'const'): Value {
    return this.constant(dtype, [], [value], hint);
  }

  /** A const referring to an existing weight of the store. */
  weightRef(name: string, dtype: DType, shape: StaticShape, hint = 'const'): Value {
    return this.op('const', {}, { dtype, shape: [...shape], weight: name }, hint);
  }

  /** A constant holding `t`: inline when it has at most `inlineLimit` elements. */
  tensor(t: Tensor, hint = 'const', inlineLimit = DEFAULT_INLINE_LIMIT): Value {
    return this.derived(hint, t.dtype, t.shape, () => t, inlineLimit);
  }

  /**
   * A constant computed from other constants: evaluated now and written inline when it has at
   * most `inlineLimit` elements, else added to the WeightStore as a lazy computed weight named
   * after `hint` (so large folded tensors are only materialized when the emitter streams them).
   */
  derived(hint: string, dtype: DType, shape: StaticShape, compute: () => Tensor, inlineLimit = DEFAULT_INLINE_LIMIT): Value {
    if (numel(shape) <= inlineLimit) {
      const t = compute();
      return this.constant(dtype, shape, Array.from(t.data), hint);
    }
    const name = addComputedWeight(this.editor.program, hint, dtype, shape, compute);
    return this.weightRef(name, dtype, shape, hint);
  }
}
