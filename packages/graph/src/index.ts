/**
 * @fastvlm/graph: a typed graph DSL, an SSA IR close to Core ML's MIL, shape inference, a
 * verifier, a text form and a reference interpreter.
 * @packageDocumentation
 */
import './ops/index.js';

export * from './errors.js';
export * from './atomic-write.js';
export * from './dtype.js';
export * from './fp16.js';
export * from './shape.js';
export * from './tensor.js';
export * from './ir/types.js';
export * from './ir/build.js';
export * from './ops/index.js';
export { runOp, concretize } from './interpret/run-op.js';
export { interpret, type InterpretOptions } from './interpret/interpreter.js';
export * from './weights/store.js';
export { encodeTensor } from './weights/encode.js';
export * from './weights/safetensors.js';
export * from './weights/safetensors-write.js';
export * from './weights/synthetic.js';
export * from './ir/verify.js';
export * from './ir/uses.js';
export * from './ir/clone.js';
export * from './text/print.js';
export * from './text/parse.js';
export * from './builder/index.js';
export * from './nn/index.js';
