/**
 * The program builder: `graph()` makes one, `g.function(name)` adds functions, `g.build()`
 * returns the verified {@link Program}.
 * @module
 */
import { graphError } from '../errors.js';
import { Program } from '../ir/types.js';
import { FUNC_NAME_RE, verifyProgram } from '../ir/verify.js';
import { WeightStore } from '../weights/store.js';
import { captureCallSite } from './call-site.js';
import { show } from './show.js';
import { type GraphContext, GraphFunction } from './graph-function.js';

/** Options of {@link graph}. */
export interface GraphOptions {
  /**
   * The program's weights. Parameters are looked up here by name; missing ones are added to
   * this store (synthetic, see `missingWeights`). Default: a new empty store.
   */
  readonly weights?: WeightStore;
  /** Global seed of synthetic weights (a non-negative safe integer, default 0). */
  readonly seed?: number;
  /**
   * What a parameter missing from the store does: `'synthesize'` (default) registers a
   * deterministic synthetic weight; `'error'` throws E_WEIGHT_MISSING, for building against a
   * real checkpoint where a missing tensor is a bug.
   */
  readonly missingWeights?: 'synthesize' | 'error';
  /**
   * Record each op's author call site (file:line from the stack) on the op and in errors.
   * Default true; turn off to save a little time on very large graphs.
   */
  readonly locations?: boolean;
}

/** Builds a {@link Program} of one or more functions over one weight store. */
export class GraphBuilder implements GraphContext {
  /** The weight store of the program. */
  readonly weights: WeightStore;
  /** Global seed of synthetic weights. */
  readonly seed: number;
  /** What a parameter missing from the store does (see {@link GraphOptions.missingWeights}). */
  readonly missingWeights: 'synthesize' | 'error';
  /** Whether ops record their author's call site. */
  readonly locations: boolean;
  #functions: GraphFunction[] = [];
  #program: Program | undefined;

  /** @internal Use {@link graph}. */
  constructor(opts: GraphOptions = {}) {
    const loc = captureCallSite();
    const bad = (msg: string): never => {
      throw graphError('E_ATTR', `graph(): ${msg}`, { where: 'graph', ...(loc ? { loc } : {}) });
    };
    if (opts === null || typeof opts !== 'object') bad(`options must be an object, got ${show(opts)}`);
    if (opts.weights !== undefined && !(opts.weights instanceof WeightStore)) bad('weights must be a WeightStore');
    const seed = opts.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) bad(`seed must be a non-negative safe integer, got ${show(seed)}`);
    const mw = opts.missingWeights ?? 'synthesize';
    if (mw !== 'synthesize' && mw !== 'error') bad(`missingWeights must be 'synthesize' or 'error', got ${show(mw)}`);
    this.weights = opts.weights ?? new WeightStore();
    this.seed = seed;
    this.missingWeights = mw;
    this.locations = opts.locations ?? true;
  }

  /** True once {@link build} has run; the functions can no longer change. */
  get built(): boolean {
    return this.#program !== undefined;
  }

  /** Adds a function (names are identifiers, unique within the program). */
  function(name: string): GraphFunction {
    const loc = captureCallSite();
    const opt = { where: typeof name === 'string' ? name : 'function', ...(loc ? { loc } : {}) };
    if (this.built) throw graphError('E_VERIFY', `cannot add function '${name}': the program was already built`, opt);
    if (typeof name !== 'string' || !FUNC_NAME_RE.test(name)) throw graphError('E_NAME', `function name ${show(name)} is not an identifier (${FUNC_NAME_RE.source})`, opt);
    if (this.#functions.some((f) => f.name === name)) throw graphError('E_NAME', `function '${name}' is defined twice`, opt);
    const f = new GraphFunction(this, name);
    this.#functions.push(f);
    return f;
  }

  /** The functions added so far, in order. */
  functions(): readonly GraphFunction[] {
    return this.#functions;
  }

  /**
   * Finishes the program: sets each function's outputs, checks every function has at least
   * one, and runs the IR verifier. Calling it again returns the same program.
   */
  build(): Program {
    if (this.#program) return this.#program;
    const loc = captureCallSite();
    const opt = (where: string): { where: string; loc?: typeof loc } => ({ where, ...(loc ? { loc } : {}) });
    if (this.#functions.length === 0) throw graphError('E_VERIFY', 'the program has no functions; add one with g.function(name)', opt('program'));
    const program = new Program(this.weights);
    for (const f of this.#functions) {
      if (f.outputs.length === 0) throw graphError('E_VERIFY', `function '${f.name}' has no outputs; name them with f.output(...)`, opt(f.name));
      f.func.body.outputs = [...f.outputs];
      program.addFunction(f.func);
    }
    verifyProgram(program);
    this.#program = program;
    return program;
  }
}

/**
 * Starts a program:
 * ```ts
 * const g = graph({ seed: 1 });
 * const f = g.function('main');
 * const x = f.input('x', 'fp32', [1, 3, 224, 224]);
 * const w = f.param('stem.weight', 'fp32', [8, 3, 3, 3]);
 * f.output({ features: f.relu(f.conv2d(x, w, undefined, { strides: [2, 2], pad_type: 'same' })) });
 * const program = g.build();
 * ```
 */
export function graph(opts: GraphOptions = {}): GraphBuilder {
  return new GraphBuilder(opts);
}
