/**
 * The SSA IR: Program -> named Functions -> Block -> Ops -> Values. Close to Core ML's MIL so
 * that lowering is a mapping: op inputs are named, static parameters are attributes, every value
 * has one producer and a unique name inside its function.
 * @module
 */
import type { DType } from '../dtype.js';
import type { SourceLoc } from '../errors.js';
import type { Shape } from '../shape.js';
import type { WeightStore } from '../weights/store.js';
import { graphError } from '../errors.js';

/** The type of a value: a dtype and a shape. */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** An attribute value. Integers and floats are both JS numbers; the op definition says which. */
export type AttrValue = number | boolean | string | readonly number[] | readonly string[] | readonly (number | string)[];

/** The attributes of an op, by name. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/** An op's inputs by name: one value, or several for a variadic input (concat, einsum). */
export type OpInputs = Readonly<Record<string, Value | readonly Value[]>>;

/** An SSA value: a function input or an op result. */
export class Value {
  /** @param name unique within its function; @param producer `null` for function inputs. */
  constructor(
    public name: string,
    public type: TensorType,
    public producer: Op | null = null,
  ) {}
}

/** One operation. `kind` names its definition in the op registry. */
export class Op {
  constructor(
    public kind: string,
    public inputs: OpInputs,
    public attrs: Attrs,
    public outputs: Value[],
    /** Where the author created it (DSL call site or IR text line). */
    public loc?: SourceLoc,
  ) {
    for (const o of outputs) o.producer = this;
  }

  /** Every input value in definition order, variadic inputs flattened. */
  inputValues(): Value[] {
    const vs: Value[] = [];
    for (const v of Object.values(this.inputs)) {
      if (Array.isArray(v)) vs.push(...(v as readonly Value[]));
      else vs.push(v as Value);
    }
    return vs;
  }

  /** The single output; throws for multi-output ops. */
  get output(): Value {
    if (this.outputs.length !== 1) throw graphError('E_INPUT', `op ${this.kind} has ${this.outputs.length} outputs, not one`, { where: this.kind });
    return this.outputs[0]!;
  }
}

/** A straight-line list of ops and the values it yields. */
export class Block {
  constructor(
    public ops: Op[] = [],
    public outputs: Value[] = [],
  ) {}
}

/** A named function: typed inputs and a body. Its outputs are the body's outputs. */
export class Func {
  constructor(
    public name: string,
    public inputs: Value[] = [],
    public body: Block = new Block(),
  ) {}

  get outputs(): Value[] {
    return this.body.outputs;
  }
}

/** A program: several named functions over one weight store. */
export class Program {
  readonly functions = new Map<string, Func>();

  constructor(public weights: WeightStore) {}

  /** Adds a function; names must be unique. */
  addFunction(f: Func): Func {
    if (this.functions.has(f.name)) throw graphError('E_NAME', `function '${f.name}' is defined twice`, { where: f.name });
    this.functions.set(f.name, f);
    return f;
  }

  /** The function of that name; throws when absent. */
  fn(name: string): Func {
    const f = this.functions.get(name);
    if (!f) throw graphError('E_NAME', `no function named '${name}'`, { where: name });
    return f;
  }
}
