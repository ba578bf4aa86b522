/**
 * How an op is defined: once, as data plus two functions (type inference and a reference
 * kernel). The registry, the verifier, the interpreter, the text parser, the DSL code generator
 * and the op reference page all read these definitions.
 * @module
 */
import type { DType } from '../dtype.js';
import type { Attrs, AttrValue, TensorType } from '../ir/types.js';
import type { Tensor } from '../tensor.js';
import type { WeightStore } from '../weights/store.js';

/** The kind of an attribute, used to validate values and to print/parse them. */
export type AttrKind =
  | 'int' // a safe integer
  | 'float' // any finite or non-finite number
  | 'bool'
  | 'string'
  | 'dtype' // a dtype name
  | 'ints' // list of integers
  | 'floats' // list of numbers
  | 'strings' // list of strings
  | 'dims'; // list of dims: integers or symbol names (a shape)

/** One attribute of an op. */
export interface AttrSpec {
  readonly name: string;
  readonly kind: AttrKind;
  /** When present the attribute is optional and takes this value when absent. */
  readonly default?: AttrValue;
  /** For optional attributes with no default (absent means "not given"). */
  readonly optional?: boolean;
  /** Allowed values for string attributes. */
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

/** One named input of an op. */
export interface InputSpec {
  readonly name: string;
  /** Accepted dtypes. */
  readonly dtypes: readonly DType[];
  readonly optional?: boolean;
  /** Several values bound to one name (concat's `values`). */
  readonly variadic?: boolean;
  /** Type-level rank hint for the DSL: a number, or undefined for any rank. */
  readonly rank?: number;
  readonly doc: string;
}

/**
 * How the DSL computes the TypeScript type of an output (dtype and rank), so the generated
 * builder methods carry them. Runtime inference stays the source of truth.
 * - `same:NAME`: as input NAME; `broadcast`: the broadcast of all tensor inputs (dtype of the
 *   first, rank the max); `broadcast:NAME`: dtype of input NAME, broadcast rank (select); `rank:N`: rank N with the first input's dtype; `bool-broadcast`: bool
 *   with broadcast rank; `attr-dtype:ATTR`: dtype from an attribute, rank as the first input;
 *   `dynamic`: dtype of the first input, rank unknown at compile time.
 */
export type OutputTyping = `same:${string}` | 'broadcast' | `broadcast:${string}` | 'bool-broadcast' | `rank:${number}` | `attr-dtype:${string}` | 'dynamic';

/** Inputs as seen by type inference: types, arrays for variadic inputs, undefined when omitted. */
export type InferInputs = Readonly<Record<string, TensorType | readonly TensorType[] | undefined>>;
/** Inputs as seen by a kernel. */
export type KernelInputs = Readonly<Record<string, Tensor | readonly Tensor[] | undefined>>;

/** Context given to a kernel. */
export interface KernelContext {
  /** Output types with every dimension concrete. */
  readonly outTypes: readonly TensorType[];
  /** The program's weights (for `const`). */
  readonly weights: WeightStore;
}

/**
 * How an op relates to the order of its tensors' axes: what layout passes (assign-layout,
 * sink-transposes, cancel-reshapes, fold-layout-chains) may do around it. One of
 * {@link LAYOUT_TRAITS}' keys; see there for each meaning.
 */
export type LayoutTrait = 'elementwise' | 'axes' | 'reshape' | 'permute' | 'fixed';

/** What each {@link LayoutTrait} means (rendered into docs/ops.md). */
export const LAYOUT_TRAITS: Readonly<Record<LayoutTrait, string>> = {
  elementwise:
    'Each output element depends only on the input elements at the same index (after numpy broadcasting): the op computes the same in any axis order, unchanged (add, relu, cast, select).',
  axes: 'Works along axes its attributes name (`axis`, `axes`, per-axis lists such as `begin` / `end`, an einsum equation) and is otherwise indifferent to axis order: in another axis order it computes the same once those attributes are remapped (softmax, reductions, norms, concat, split, slice, pad).',
  reshape: 'Only re-views its input: the same elements in the same row-major order under another shape (reshape, squeeze, expand_dims).',
  permute: 'Only reorders the axes of its input (transpose).',
  fixed: 'Anything else: it depends on which axis is which (conv2d channels and spatial axes, matmul contracting the last two, gather inserting the index axes, packed compressed constants), or makes a tensor from attributes alone (const, fill, range).',
};

/**
 * Facts about an op that passes read instead of keeping kind lists of their own. Every op states
 * all of them (a test checks the registry); choose by the definitions, not by what a pass
 * happens to support today.
 */
export interface OpTraits {
  /** See {@link LayoutTrait}. */
  readonly layout: LayoutTrait;
  /**
   * True when the op has exactly the two tensor inputs `x` and `y` and `op(x, y) = op(y, x)`
   * for every value (add, mul, maximum, minimum, equal, not_equal); false for every other op.
   */
  readonly commutative: boolean;
}

/** The single definition of an op. */
export interface OpDef {
  /** Op name as written in IR text, e.g. `conv2d`. */
  readonly name: string;
  /** Family file it lives in (for docs grouping), e.g. `elementwise`. */
  readonly family: string;
  /** One paragraph: what it computes, with the formula. */
  readonly doc: string;
  /** Facts passes read (see {@link OpTraits}). */
  readonly traits: OpTraits;
  readonly inputs: readonly InputSpec[];
  readonly attrs: readonly AttrSpec[];
  /**
   * Output names, in order. Variadic outputs (split) use a single name with `variadic: true`
   * and the count comes from {@link infer}.
   */
  readonly outputs: readonly { readonly name: string; readonly typing: OutputTyping; readonly doc?: string }[];
  readonly variadicOutputs?: boolean;
  /**
   * Type and shape inference. Attributes arrive with defaults applied. Throws a coded
   * FastVlmError (E_SHAPE_MISMATCH, E_RANK, E_ATTR, E_DTYPE_MISMATCH) for invalid inputs.
   * Must accept symbolic dims where it can.
   */
  infer(inputs: InferInputs, attrs: Attrs): TensorType[];
  /** Reference kernel over concrete tensors; fp16 rounding of outputs is done by the caller. */
  kernel(inputs: KernelInputs, attrs: Attrs, ctx: KernelContext): Tensor[];
}
