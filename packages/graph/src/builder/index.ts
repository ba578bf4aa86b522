/**
 * The DSL: build programs with typed tensor handles, modelled on WebNN's MLGraphBuilder.
 * ```ts
 * import { graph } from '@fastvlm/graph';
 * const g = graph();
 * const f = g.function('main');
 * const x = f.input('x', 'fp32', [1, 8]);          // TensorHandle<'fp32', 2>
 * f.output({ y: f.softmax(x) });
 * const program = g.build();
 * ```
 * The op methods (`f.conv2d`, `f.softmax`, ...) are generated from the op registry into
 * `ops.generated.ts` by `npm run codegen`.
 * @module
 */
export { graph, GraphBuilder, type GraphOptions } from './graph.js';
export { GraphFunction, type GraphContext, type ParamOptions } from './graph-function.js';
export { TensorHandle, type AnyTensor, type HandleOwner, type OpArgs } from './handle.js';
export type { MaxRank, RankCheck, RankOf, SmallRank, IsWideRank, Tuple } from './rank.js';
export * from './ops.generated.js';
export { captureCallSite } from './call-site.js';
