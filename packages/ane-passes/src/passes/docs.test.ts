import { describe, expect, it } from 'vitest';
import { parseProgram, printProgram } from '@fastvlm/graph';
import { BUILTIN_PASSES } from '../builtins.js';
import { PassManager } from '../manager.js';
import { docExample, matchWithEllipsis } from '../testing/doc-examples.js';
import { storeFor } from '../testing/support.js';

// Every pass documents itself with an IR example; the example is a test: the "before" block,
// run through the pass (verified, numerics checked), prints as the "after" block ("..." lines
// stand for any number of lines).
describe('pass docs', () => {
  for (const [name, pass] of Object.entries(BUILTIN_PASSES)) {
    it(`${name}: the before/after example holds`, () => {
      const ex = docExample(name, pass.doc);
      const input = parseProgram(ex.before, storeFor(ex.before));
      const out = new PassManager().add(name, ex.options).run(input, { numericCheck: true }).program;
      expect(matchWithEllipsis(printProgram(out), ex.after)).toBeUndefined();
    });
    it(`${name}: has a summary and documents every option`, () => {
      expect(pass.summary.length).toBeGreaterThan(10);
      for (const [opt, spec] of Object.entries(pass.options)) expect(spec.doc.length, `${name}.${opt}`).toBeGreaterThan(5);
    });
  }

  it('the ellipsis matcher matches any number of lines, and only there', () => {
    expect(matchWithEllipsis('a\nb\nc\nd', 'a\n  ...\nd')).toBeUndefined();
    expect(matchWithEllipsis('a\nd', 'a\n...\nd')).toBeUndefined();
    expect(matchWithEllipsis('a\nb\nc', 'a\nc')).toBeDefined();
    expect(matchWithEllipsis('a\nb', 'a\n...\nc')).toBeDefined();
  });
});
