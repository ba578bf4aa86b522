/**
 * Neural-network layers over the DSL, as the `nn` namespace:
 * `import { graph, nn } from '@fastvlm/graph'`, then `nn.linear(f, x, { name: 'q_proj', outFeatures: 64 })`.
 * @module
 */
export * as nn from './layers.js';
