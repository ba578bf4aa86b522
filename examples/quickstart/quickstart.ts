import { graph } from '@fastvlm/graph';

const g = graph();
const f = g.function('main');
const x = f.input('x', 'fp32', [1, 3, 64, 64]);
const w = f.param('stem.weight', 'fp32', [16, 3, 3, 3]); // a named, lazily-read weight
const y = f.gelu(f.conv2d(x, w, undefined, { strides: [2, 2], pad_type: 'same' }));
f.output(y.named('features'));
const program = g.build(); // verified SSA IR

// Beyond the README: print the IR and run it on the reference interpreter.
import { interpret, printProgram, tensor } from '@fastvlm/graph';

console.log(printProgram(program));
const image = tensor('fp32', [1, 3, 64, 64], new Array(3 * 64 * 64).fill(0.5));
const out = interpret(program, 'main', { x: image }).get('features')!;
console.log('features', out.shape);
