/**
 * Tensor handles: what DSL calls take and return. A handle wraps one IR {@link Value} and
 * carries its dtype and rank in its TypeScript type, so a dtype an op does not accept (an int32
 * tensor into `softmax`) is a compile error, while runtime shape inference stays the source of
 * truth.
 * @module
 */
import type { DType } from '../dtype.js';
import { graphError } from '../errors.js';
import type { Value } from '../ir/types.js';
import type { Shape } from '../shape.js';
import { captureCallSite } from './call-site.js';

/** What a handle needs from the function that made it. */
export interface HandleOwner {
  /** The function's name, for messages. */
  readonly name: string;
  /** Renames a value of this function; throws E_NAME when the name is taken or invalid. */
  renameValue(value: Value, name: string): void;
}

/**
 * A typed reference to a value of a DSL function. `D` is its dtype and `R` its rank when known
 * at compile time (`number` when not). Handles are made by {@link GraphFunction} methods,
 * never constructed by hand.
 */
export class TensorHandle<D extends DType = DType, R extends number = number> {
  readonly #owner: HandleOwner;
  /** The IR value this handle stands for. */
  readonly value: Value;

  /** @internal Made by the DSL. */
  constructor(owner: HandleOwner, value: Value) {
    this.#owner = owner;
    this.value = value;
  }

  /** The function that owns the value. */
  get owner(): HandleOwner {
    return this.#owner;
  }

  /** Element type. */
  get dtype(): D {
    return this.value.type.dtype as D;
  }

  /** Shape: static sizes and symbolic dimension names. */
  get shape(): Shape {
    return this.value.type.shape;
  }

  /** Number of axes. */
  get rank(): R {
    return this.value.type.shape.length as R;
  }

  /** The value's name in the IR (what follows `%` in IR text). */
  get name(): string {
    return this.value.name;
  }

  /**
   * Renames the value (e.g. to name a function output) and returns the same handle. Throws
   * E_NAME when another value of the function already has that name.
   */
  named(name: string): this {
    this.#owner.renameValue(this.value, name);
    return this;
  }

  /**
   * Asserts the rank at run time and narrows the type; for values whose rank the compiler
   * cannot know (after `reshape` or `matmul`). Throws E_RANK naming the value when wrong.
   */
  asRank<N extends number>(rank: N): TensorHandle<D, N> {
    if ((this.rank as number) !== rank) {
      const loc = captureCallSite();
      throw graphError('E_RANK', `value %${this.name} has rank ${this.rank} (shape [${this.shape.join(',')}]); expected rank ${rank}`, {
        where: `${this.#owner.name}.${this.name}`,
        ...(loc ? { loc } : {}),
      });
    }
    return this as unknown as TensorHandle<D, N>;
  }

  /** Asserts the dtype at run time and narrows the type; throws E_DTYPE_MISMATCH when wrong. */
  asDType<T extends DType>(dtype: T): TensorHandle<T, R> {
    if ((this.dtype as DType) !== dtype) {
      const loc = captureCallSite();
      throw graphError('E_DTYPE_MISMATCH', `value %${this.name} has dtype ${this.dtype}; expected ${dtype}`, {
        where: `${this.#owner.name}.${this.name}`,
        ...(loc ? { loc } : {}),
      });
    }
    return this as unknown as TensorHandle<T, R>;
  }

  /** `fp32[1,3,224,224] %x`, for debugging. */
  toString(): string {
    return `${this.dtype}[${this.shape.join(',')}] %${this.name}`;
  }
}

/** A handle of any dtype and rank. */
export type AnyTensor = TensorHandle<DType, number>;

/** Tensor inputs of one op, by input name: a handle, a list (variadic inputs) or absent. */
export type OpArgs = Readonly<Record<string, AnyTensor | readonly AnyTensor[] | undefined>>;
