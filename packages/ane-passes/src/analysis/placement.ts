/**
 * Placement: a compute unit per op and the segments Core ML would cut a function into. An op
 * runs on the ANE unless an `error` rule sends it to that rule's fallback unit (the first such
 * rule in catalogue order is the one reported). Ops computed from constants only are evaluated
 * when the model loads (`const`).
 *
 * Fusion: an elementwise op, activation or batch norm on the ANE whose input comes from a compute op on the
 * ANE (a conv, a matmul, a norm, or an op already fused into one) runs in that op's pipeline, as
 * the Neural Engine applies bias, activation and elementwise post-ops on the way out of a layer:
 * it pays no per-op overhead and moves only the bytes of its other inputs.
 *
 * Segments: each op gets the earliest stage its inputs allow (a producer on another unit ends a
 * stage), then moves as late as its consumers allow, so work that does not depend on a fallback
 * joins the segment after it instead of opening one before it; a segment is the ops of one unit
 * at one stage. That is the fewest segments the dependencies permit, independent of op order.
 * @module
 */
import { type Func, type Op, type Value, hasOp } from '@fastvlm/graph';
import { checkConstantOp, checkOp, toFinding } from './check.js';
import { type FunctionFacts, type OpCost, denseBytes, functionFacts, opCost, paddedBytes } from './op-model.js';
import { ANE_RULES, type AneRule } from './rules.js';
import type { ComputeUnit, Finding, Placement } from './types.js';

/** One non-`const` op with its placement and cost inputs. */
export interface PlannedOp {
  readonly op: Op;
  readonly name: string;
  readonly scope: string;
  readonly unit: Placement;
  readonly fallbackRule: string | null;
  readonly cost: OpCost;
  /** Index into {@link FunctionPlan.segments}; null for constant ops. */
  readonly segment: number | null;
  /** The op whose pipeline this elementwise op runs in (named by its first output), or null. */
  readonly fusedInto: string | null;
}

/** A segment before it is timed. */
export interface PlannedSegment {
  readonly unit: ComputeUnit;
  readonly ops: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
}

/** A function placed and cut into segments: everything but the device-dependent times. */
export interface FunctionPlan {
  readonly name: string;
  readonly ops: readonly PlannedOp[];
  readonly segments: readonly PlannedSegment[];
  readonly boundaryBytes: number;
  /** Weight bytes the function's ANE ops stream per prediction (at their stored size). */
  readonly aneWeightBytes: number;
  readonly findings: readonly Finding[];
}

/** A name part made by the DSL for an op result: an op kind, optionally numbered (`matmul_44`). */
function isOpPart(part: string): boolean {
  const m = /^([a-z][a-z0-9_]*?)(?:_\d+)?$/.exec(part);
  return m !== null && hasOp(m[1]!);
}

/**
 * The name scope of a value name: the parts before the first op-result part
 * (`model.layers.3.self_attn.matmul_44.q3` -> `model.layers.3.self_attn`), or without its last
 * part when it has none (`embeddings.layout_1` -> `embeddings`); `''` for a bare name.
 */
export function scopeOf(name: string): string {
  const parts = name.split('.');
  const k = parts.findIndex(isOpPart);
  if (k >= 0) return parts.slice(0, k).join('.');
  return parts.slice(0, -1).join('.');
}

/** The scope of a weight name: the parts before `.weight` / `.bias` (`model.layers.1.mlp.up_proj.weight.conv` -> `model.layers.1.mlp.up_proj`). */
export function weightScope(name: string): string {
  const m = /^(.*?)\.(weight|bias)(\.|$)/.exec(name);
  return m ? m[1]! : scopeOf(name);
}

/**
 * An op's scope: from its output's name; for names a pass made up (`conv2d_35`), from the
 * weights it reads; else the scope of its first input's producer.
 */
function opScope(op: Op, facts: FunctionFacts, scopes: Map<Value, string>): string {
  const own = scopeOf(op.outputs[0]?.name ?? '');
  if (own) return own;
  for (const i of op.inputValues()) {
    if (!facts.constant.has(i)) continue;
    let p = i.producer;
    for (let d = 0; p && p.kind !== 'const' && d < 4; d++) p = p.inputValues()[0]?.producer ?? null;
    const w = p?.attrs['weight'];
    if (typeof w === 'string') return weightScope(w);
  }
  for (const i of op.inputValues()) {
    const s = scopes.get(i);
    if (s) return s;
  }
  return '';
}

const ERROR_ORDER: readonly AneRule[] = ANE_RULES.filter((r) => r.severity === 'error' && r.scope === 'op');

/** Places and segments `fn`, checking every op rule on the way. */
export function planFunction(fn: Func, facts: FunctionFacts = functionFacts(fn)): FunctionPlan {
  const findings: Finding[] = [];
  const planned: { op: Op; unit: Placement; fallbackRule: string | null; cost: OpCost | null }[] = [];
  for (const op of fn.body.ops) {
    if (op.kind === 'const') {
      for (const v of checkConstantOp(op)) findings.push(toFinding(fn.name, op, v));
      continue;
    }
    if (op.outputs.every((o) => facts.constant.has(o))) {
      for (const v of checkConstantOp(op)) findings.push(toFinding(fn.name, op, v));
      planned.push({ op, unit: 'const', fallbackRule: null, cost: null });
      continue;
    }
    const violations = checkOp(op, facts);
    for (const v of violations) findings.push(toFinding(fn.name, op, v));
    const broken = new Set<string>(violations.map((v) => v.rule));
    const cause = ERROR_ORDER.find((r) => broken.has(r.id));
    planned.push({ op, unit: cause?.fallback ?? 'ane', fallbackRule: cause?.id ?? null, cost: opCost(op, facts) });
  }

  const fusedInto = fuse(planned, facts);

  // Stages, earliest first.
  const unitOf = new Map<Value, ComputeUnit>();
  const stageOf = new Map<Value, number>();
  const stages = new Map<Op, number>();
  const placedOf = new Map<Op, ComputeUnit>();
  for (const p of planned) {
    if (p.unit === 'const') continue;
    const unit = p.unit;
    let stage = 0;
    for (const i of p.op.inputValues()) {
      const u = unitOf.get(i);
      if (u === undefined) continue; // a function input or a constant
      stage = Math.max(stage, stageOf.get(i)! + (u === unit ? 0 : 1));
    }
    stages.set(p.op, stage);
    placedOf.set(p.op, unit);
    for (const o of p.op.outputs) {
      unitOf.set(o, unit);
      stageOf.set(o, stage);
    }
  }
  // Then as late as consumers allow (reverse order sees consumers first).
  const lastStage = new Map<ComputeUnit, number>();
  for (const [op, s] of stages) lastStage.set(placedOf.get(op)!, Math.max(lastStage.get(placedOf.get(op)!) ?? 0, s));
  for (let k = planned.length - 1; k >= 0; k--) {
    const p = planned[k]!;
    if (p.unit === 'const') continue;
    const unit = p.unit;
    let latest = Number.POSITIVE_INFINITY;
    for (const o of p.op.outputs) {
      for (const c of facts.consumers.get(o) ?? []) {
        const cs = stages.get(c);
        if (cs === undefined) continue;
        latest = Math.min(latest, cs - (placedOf.get(c) === unit ? 0 : 1));
      }
    }
    if (latest === Number.POSITIVE_INFINITY) latest = lastStage.get(unit)!;
    const s = Math.max(stages.get(p.op)!, latest);
    stages.set(p.op, s);
    for (const o of p.op.outputs) stageOf.set(o, s);
  }

  // Segments in (stage, unit) order.
  const keyOf = (op: Op): string => `${String(stages.get(op)!).padStart(8, '0')}:${placedOf.get(op)!}`;
  const keys = [...new Set([...stages.keys()].map(keyOf))].sort();
  const index = new Map(keys.map((k, i) => [k, i]));
  const segOf = new Map<Op, number>();
  for (const op of stages.keys()) segOf.set(op, index.get(keyOf(op))!);
  const counts = new Array<number>(keys.length).fill(0);
  const inBytes = new Array<number>(keys.length).fill(0);
  const outBytes = new Array<number>(keys.length).fill(0);
  let boundaryBytes = 0;
  for (const [op, s] of segOf) {
    counts[s]!++;
    for (const o of op.outputs) {
      const targets = new Set<number>();
      for (const c of facts.consumers.get(o) ?? []) {
        const t = segOf.get(c);
        if (t !== undefined && t !== s) targets.add(t);
      }
      const bytes = denseBytes(o.type.dtype, o.type.shape);
      for (const t of targets) {
        inBytes[t]! += bytes;
        outBytes[s]! += bytes;
        boundaryBytes += bytes;
      }
    }
  }
  const segments: PlannedSegment[] = keys.map((k, i) => ({ unit: k.slice(9) as ComputeUnit, ops: counts[i]!, inputBytes: inBytes[i]!, outputBytes: outBytes[i]! }));

  const scopes = new Map<Value, string>();
  const ops: PlannedOp[] = planned.map((p) => {
    const name = p.op.outputs[0]?.name ?? p.op.kind;
    const scope = opScope(p.op, facts, scopes);
    for (const o of p.op.outputs) scopes.set(o, scope);
    const fused = fusedInto.get(p.op);
    return {
      op: p.op,
      name,
      scope,
      unit: p.unit,
      fallbackRule: p.fallbackRule,
      cost: fused ? fused.cost : (p.cost ?? CONST_COST),
      segment: segOf.get(p.op) ?? null,
      fusedInto: fused ? fused.into : null,
    };
  });
  const aneWeightBytes = ops.reduce((s, o) => s + (o.unit === 'ane' ? o.cost.weightBytes : 0), 0);
  return { name: fn.name, ops, segments, boundaryBytes, aneWeightBytes, findings };
}

/** Cost classes that run as post-ops in the pipeline of the op before them; batch_norm too (a per-channel scale and shift, folded by converters). */
const FUSABLE_CLASSES: ReadonlySet<string> = new Set(['elementwise', 'activation']);
const FUSABLE_KINDS: ReadonlySet<string> = new Set(['batch_norm']);

/**
 * The elementwise ops that fuse into the pipeline of the op producing one of their inputs, with
 * their cost (only their other inputs' bytes move) and the op they fuse into (the pipeline's head).
 */
function fuse(planned: readonly { op: Op; unit: Placement; cost: OpCost | null }[], facts: FunctionFacts): Map<Op, { into: string; cost: OpCost }> {
  // The head of the pipeline that holds each value on chip, when one does.
  const pipeline = new Map<Value, Op>();
  const out = new Map<Op, { into: string; cost: OpCost }>();
  for (const p of planned) {
    const c = p.cost;
    if (p.unit !== 'ane' || c === null) continue;
    const acts = p.op.inputValues().filter((i) => !facts.constant.has(i));
    let head: Op | undefined;
    if (c.family === 'free') head = acts.length ? pipeline.get(acts[0]!) : undefined;
    else if (c.family === 'vector' && (FUSABLE_CLASSES.has(c.costClass) || FUSABLE_KINDS.has(p.op.kind)) && !c.unknownKind) {
      const via = acts.find((a) => pipeline.has(a));
      if (via !== undefined) {
        head = pipeline.get(via)!;
        let bytes = 0;
        for (const a of acts) if (a !== via) bytes += paddedBytes(a.type.dtype, a.type.shape);
        out.set(p.op, { into: head.outputs[0]?.name ?? head.kind, cost: { ...c, activationBytes: bytes } });
      }
    }
    if (head === undefined && (c.family === 'dense' || c.family === 'depthwise' || c.family === 'vector')) head = p.op;
    if (head !== undefined) for (const o of p.op.outputs) pipeline.set(o, head);
  }
  return out;
}

const CONST_COST: OpCost = { family: 'constant', costClass: 'const', work: 0, taps: 1, activationBytes: 0, denseActivationBytes: 0, weightBytes: 0, largestOperand: 0, unknownKind: false };
