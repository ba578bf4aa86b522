/**
 * `chunk-attention`: attention rewritten per head in the einsum form the ANE runs well, or in
 * a matmul form that needs no transpose per head.
 * @module
 */
import type { Op } from '@fastvlm/graph';
import { RewriteBuilder } from '../rewrite/builder.js';
import { definePass } from '../pass.js';
import { AttentionEmitter } from './chunk-attention-emit.js';
import { matchAttention } from './chunk-attention-match.js';
import { editFunctions } from './util.js';

/** Options of `chunk-attention`. */
export interface ChunkAttentionOptions {
  readonly maxScoreBytes: number;
  readonly budgetDtype: 'fp16' | 'fp32' | 'auto';
  readonly maskFloor: number;
  readonly scores: 'einsum' | 'matmul';
}

/** Rewrites attention per head in the ANE einsum form, or the transpose-free matmul form (grouped-query aware, optional query chunks). */
export const chunkAttention = definePass({
  name: 'chunk-attention',
  summary: 'Rewrites attention per head as einsums on (B, C, 1, S) tensors, or as transpose-free matmuls, GQA aware, with optional query chunking.',
  doc: `Finds \`matmul(softmax(scale * matmul(q, k^T) + mask, axis=-1), v)\` (scale and mask optional;
\`k^T\` as \`transpose_y\` or an explicit transpose; reshapes allowed between the products and the
softmax) and rewrites it per attention unit (batch x head: the leading axes of the softmax
input) in the form of Apple's ANE transformers: for unit u,
\`s = einsum('bchq,bkhc->bkhq', q_u[1, D, 1, Sq], k_u[1, Sk, 1, D])\`, scaled, plus the mask as
\`[1, Sk, 1, Sq]\`, \`softmax(s, axis=1)\`, \`o_u = einsum('bkhq,bchk->bchq', p, v_u[1, D, 1, Sk])\`, and the
units concatenated on the channel axis: \`[1, U*D, 1, Sq]\`. Each unit's query rows are followed
through the reshapes, so the usual forms all match: heads on one axis \`[B, H, S, D]\` or
\`[H, S, D]\`, grouped-query attention with queries \`[B, Hkv, group, S, D]\` against keys
\`[B, Hkv, 1, S, D]\`, or with the group folded into the query axis (\`[Hkv, group*S, D]\` against
\`[Hkv, K, D]\`); query head h reads KV head \`h // group\` in each. When q, k or v is the usual head
split of a \`[.., S, H*D]\` projection (possibly scaled), the head is sliced from its channels
directly. KV heads and mask slices are shared between units. Boundary reshapes/transposes give
back the original shape through \`[1, S, U*D]\`, so \`cancel-reshapes\`/\`cancel-transposes\` merge
them with the model's own head merge. Mask values below \`maskFloor\` (e.g. -inf) are raised to
it (a constant mask at compile time, else a \`maximum\` op). With \`maxScoreBytes\` > 0 the query
axis is cut into chunks so that one unit's scores \`[1, Sk, 1, chunk]\` (last axis padded to 64
bytes, in \`budgetDtype\`) fit the budget. Shapes must be static.

With \`scores: 'matmul'\` each unit is written with matmuls instead, every operand keeping the
sequence on its last axis: \`s[1, 1, Sk, Sq] = matmul(k_u[1, 1, D, Sk], q_u[1, 1, D, Sq],
transpose_x)\`, scaled, plus the mask as \`[1, 1, Sk, Sq]\`, \`softmax(s, axis=2)\`,
\`o_u[1, 1, Dv, Sq] = matmul(v_u[1, 1, Dv, Sk], p)\`, the units concatenated on axis 1
(\`[1, U, Dv, Sq]\`, a reshape away from \`[1, U*Dv, 1, Sq]\`). Each of q, k and v is viewed once
as \`[1, heads, D, S]\` (one transpose of the whole tensor, or of the \`[.., S, H*D]\` projection
it splits) and unit u's operand is a slice of axis 1 of it; the query chunks are slices of the
last axis. Why: MIL's einsum contracts the first operand's last axis with the second's axis 1,
so the einsum form needs the keys as \`[1, Sk, 1, D]\` while every other tensor is channels
first \`(B, C, 1, S)\`: one key transpose per head (or per layer) survives \`assign-layout\`. In
the matmul form all three operands share the channels-first layout, so after \`assign-layout\`
and \`fold-layout-chains\` the heads are slices of one reshape of the projection and no
transpose is left (ANEMLL runs matmul-with-transpose attention on the ANE).

Before:
\`\`\`
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,3,3]
  %p = softmax(x=%s) : fp32[1,2,3,3]
  %o = matmul(x=%p, y=%v) : fp32[1,2,3,4]
  return %o
}
\`\`\`
After:
\`\`\`
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %o.q0.slice = slice(x=%q) {begin=[0,0,0,0], end=[1,1,3,2147483647]} : fp32[1,1,3,4]
  %o.q0 = reshape(x=%o.q0.slice) {shape=[1,3,4]} : fp32[1,3,4]
  %o.q0.bchq.t = transpose(x=%o.q0) {perm=[0,2,1]} : fp32[1,4,3]
  %o.q0.bchq = expand_dims(x=%o.q0.bchq.t) {axes=[2]} : fp32[1,4,1,3]
  %o.k0.slice = slice(x=%k) {begin=[0,0,0,0], end=[1,1,3,2147483647]} : fp32[1,1,3,4]
  %o.k0 = reshape(x=%o.k0.slice) {shape=[1,3,4]} : fp32[1,3,4]
  %o.k0.bkhc = expand_dims(x=%o.k0) {axes=[2]} : fp32[1,3,1,4]
  %o.v0.slice = slice(x=%v) {begin=[0,0,0,0], end=[1,1,3,2147483647]} : fp32[1,1,3,4]
  %o.v0 = reshape(x=%o.v0.slice) {shape=[1,3,4]} : fp32[1,3,4]
  %o.v0.bchk.t = transpose(x=%o.v0) {perm=[0,2,1]} : fp32[1,4,3]
  %o.v0.bchk = expand_dims(x=%o.v0.bchk.t) {axes=[2]} : fp32[1,4,1,3]
  %o.s0 = einsum(values=(%o.q0.bchq, %o.k0.bkhc)) {equation="bchq,bkhc->bkhq"} : fp32[1,3,1,3]
  %o.p0 = softmax(x=%o.s0) {axis=1} : fp32[1,3,1,3]
  %o.o0 = einsum(values=(%o.p0, %o.v0.bchk)) {equation="bkhq,bchk->bchq"} : fp32[1,4,1,3]
  ...the same for head 1...
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,8,1,3]
  %o.heads3 = squeeze(x=%o.heads) {axes=[2]} : fp32[1,8,3]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,3,8]
  %o.split = reshape(x=%o.merged) {shape=[1,3,2,4]} : fp32[1,3,2,4]
  %o = transpose(x=%o.split) {perm=[0,2,1,3]} : fp32[1,2,3,4]
  return %o
}
\`\`\`

The same with \`scores: 'matmul'\`:
\`\`\`
// options: {"scores": "matmul"}
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %s = matmul(x=%q, y=%k) {transpose_y=true} : fp32[1,2,3,3]
  %p = softmax(x=%s) : fp32[1,2,3,3]
  %o = matmul(x=%p, y=%v) : fp32[1,2,3,4]
  return %o
}
\`\`\`
After:
\`\`\`
func main(%q: fp32[1,2,3,4], %k: fp32[1,2,3,4], %v: fp32[1,2,3,4]) -> (%o) {
  %o.qheads = transpose(x=%q) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.q0 = slice(x=%o.qheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.kheads = transpose(x=%k) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.k0 = slice(x=%o.kheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.vheads = transpose(x=%v) {perm=[0,1,3,2]} : fp32[1,2,4,3]
  %o.v0 = slice(x=%o.vheads) {begin=[0,0,0,0], end=[1,1,2147483647,3]} : fp32[1,1,4,3]
  %o.s0 = matmul(x=%o.k0, y=%o.q0) {transpose_x=true} : fp32[1,1,3,3]
  %o.p0 = softmax(x=%o.s0) {axis=2} : fp32[1,1,3,3]
  %o.o0 = matmul(x=%o.v0, y=%o.p0) : fp32[1,1,4,3]
  ...the same for head 1 (%o.q1 = slice(x=%o.qheads) {begin=[0,1,0,0], ...})...
  %o.heads = concat(values=(%o.o0, %o.o1)) {axis=1} : fp32[1,2,4,3]
  %o.heads3 = reshape(x=%o.heads) {shape=[1,8,3]} : fp32[1,8,3]
  %o.merged = transpose(x=%o.heads3) {perm=[0,2,1]} : fp32[1,3,8]
  %o.split = reshape(x=%o.merged) {shape=[1,3,2,4]} : fp32[1,3,2,4]
  %o = transpose(x=%o.split) {perm=[0,2,1,3]} : fp32[1,2,3,4]
  return %o
}
\`\`\``,
  options: {
    maxScoreBytes: { kind: 'int', default: 0, min: 0, max: 2 ** 31 - 1, doc: 'Byte budget of one unit\'s scores; the query axis is chunked to fit (0: no chunking).' },
    budgetDtype: { kind: 'enum', values: ['fp16', 'fp32', 'auto'], default: 'fp16', doc: 'Element size used for the budget (fp16: what the ANE runs; auto: the program\'s dtype).' },
    maskFloor: { kind: 'number', default: -1e4, min: -65504, max: 0, doc: 'Mask values below this (e.g. -inf) are raised to it.' },
    scores: {
      kind: 'enum',
      values: ['einsum', 'matmul'],
      default: 'einsum',
      doc: "Per-head form: 'einsum' (Apple's: keys as [1, Sk, 1, D]) or 'matmul' (every operand [1, 1, D, S], transpose-free).",
    },
  },
  run(program, ctx) {
    let rewritten = 0;
    editFunctions(program, (ed) => {
      for (const op of ed.ops()) {
        if (op.kind !== 'matmul' || !ed.contains(op)) continue;
        const m = matchAttention(ed, op);
        if (!m) continue;
        const b = new RewriteBuilder(ed, op, op.loc);
        const out = new AttentionEmitter(b, m, ctx.options, op.outputs[0]!.name).emit();
        const producers = op.inputValues().map((v) => v.producer).filter((p): p is Op => p !== null);
        ed.replaceAllUses(op.outputs[0]!, out, { adoptName: true });
        ed.eraseDead([op, ...producers]);
        rewritten++;
      }
    });
    ctx.note(`rewrote ${rewritten} attentions`);
  },
});
