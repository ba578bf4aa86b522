/**
 * Multi-op patterns the lifter folds back into one IR op: the compositions the lowering emits
 * for IR ops that have no single MIL counterpart. Today: int32 `div` (see `ops/int-div.ts`),
 * `floor_div`, `mod`, `not_equal`, `less` x2, `logical_xor`, `logical_and`, `cast`, `add`
 * over the same `x` and `y`.
 *
 * A group is folded only when it is exactly that dataflow (same operands, zero constants,
 * `cast` to int32) and none of its intermediate values is used outside it or returned; anything
 * else lifts op by op (each of those MIL ops has its own lifting), which computes the same
 * values with more IR ops. Folding keeps emit -> read -> lift -> emit a fixed point.
 * @module
 */
import { decodeMilValue } from '../mil/values.js';
import { MilDataType, type MilBlock, type MilOperation, type MilValue } from '../proto/mil-types.js';

/** A group of MIL ops lifted as one IR op. */
export interface FusedGroup {
  /** Index of the group's last op: the IR op is written there (every operand exists by then). */
  readonly at: number;
  /** Indices of the other ops of the group, which lift to nothing. */
  readonly absorbed: readonly number[];
  /** The IR op kind. */
  readonly kind: string;
  /**
   * A MIL op standing for the group: `type` names the pattern (for messages), `inputs` are the
   * IR op's operands, `outputs` and `attributes` those of the group's last op.
   */
  readonly op: MilOperation;
}

interface Producer {
  readonly op: MilOperation;
  readonly index: number;
}

/** Producers, use counts and constants of one block. */
class BlockIndex {
  readonly producers = new Map<string, Producer>();
  readonly uses = new Map<string, number>();
  readonly consts = new Map<string, MilValue>();

  constructor(block: MilBlock) {
    (block.operations ?? []).forEach((op, index) => {
      for (const o of op.outputs ?? []) if (o.name) this.producers.set(o.name, { op, index });
      if (op.type === 'const' && op.outputs?.[0]?.name && op.attributes?.val) this.consts.set(op.outputs[0].name, op.attributes.val);
      for (const arg of Object.values(op.inputs ?? {})) for (const b of arg.arguments ?? []) if (b.name) this.count(b.name);
      // Nested blocks read outer values too.
      for (const nested of op.blocks ?? []) for (const n of usedNames(nested)) this.count(n);
    });
    for (const o of block.outputs ?? []) this.count(o);
  }

  private count(name: string): void {
    this.uses.set(name, (this.uses.get(name) ?? 0) + 1);
  }

  /** The single named binding of input `input` of `op`, or undefined. */
  arg(op: MilOperation, input: string): string | undefined {
    const bs = op.inputs?.[input]?.arguments;
    return bs?.length === 1 && bs[0]!.name ? bs[0]!.name : undefined;
  }

  /** The producer of input `input` when it has type `type`, one output, exactly `inputs` and a value used once. */
  from(op: MilOperation, input: string, type: string, inputs: readonly string[]): MilOperation | undefined {
    const name = this.arg(op, input);
    const p = name === undefined ? undefined : this.producers.get(name);
    if (!p || p.op.type !== type || (p.op.outputs ?? []).length !== 1 || this.uses.get(name!) !== 1) return undefined;
    const keys = Object.keys(p.op.inputs ?? {}).sort();
    if (keys.length !== inputs.length || !inputs.every((k) => keys.includes(k))) return undefined;
    return p.op;
  }

  /** True when input `input` of `op` is a rank-0 int32 constant 0 (bound by name or inline). */
  isZero(op: MilOperation, input: string): boolean {
    const bs = op.inputs?.[input]?.arguments;
    if (bs?.length !== 1) return false;
    const val = bs[0]!.name ? this.consts.get(bs[0]!.name) : bs[0]!.value;
    return int32Scalar(val) === 0;
  }

  /** The string constant bound to input `input` of `op`, or undefined. */
  str(op: MilOperation, input: string): string | undefined {
    const bs = op.inputs?.[input]?.arguments;
    if (bs?.length !== 1) return undefined;
    const val = bs[0]!.name ? this.consts.get(bs[0]!.name) : bs[0]!.value;
    if (val?.type?.tensorType?.dataType !== MilDataType.STRING || !val.immediateValue) return undefined;
    try {
      const d = decodeMilValue(val);
      return (d.data as readonly string[])[0];
    } catch {
      return undefined;
    }
  }

  indexOf(op: MilOperation): number {
    return this.producers.get(op.outputs![0]!.name!)!.index;
  }
}

function usedNames(block: MilBlock): string[] {
  const out: string[] = [...(block.outputs ?? [])];
  for (const op of block.operations ?? []) {
    for (const arg of Object.values(op.inputs ?? {})) for (const b of arg.arguments ?? []) if (b.name) out.push(b.name);
    for (const nested of op.blocks ?? []) out.push(...usedNames(nested));
  }
  return out;
}

function int32Scalar(val: MilValue | undefined): number | undefined {
  const tt = val?.type?.tensorType;
  if (!val?.immediateValue || tt?.dataType !== MilDataType.INT32 || (tt.rank ?? 0) !== 0) return undefined;
  try {
    const d = decodeMilValue(val);
    return d.data.length === 1 ? Number(d.data[0]) : undefined;
  } catch {
    return undefined;
  }
}

const BINARY = ['x', 'y'] as const;

/** Matches the int32 `div` composition ending at the `add` op `add`. */
function matchIntDiv(ix: BlockIndex, add: MilOperation): FusedGroup | undefined {
  if (add.type !== 'add' || (add.outputs ?? []).length !== 1) return undefined;
  if (add.outputs![0]!.type?.tensorType?.dataType !== MilDataType.INT32) return undefined;
  const fd = ix.from(add, 'x', 'floor_div', BINARY);
  const cast = ix.from(add, 'y', 'cast', ['dtype', 'x']);
  if (!fd || !cast || ix.str(cast, 'dtype') !== 'int32') return undefined;
  const x = ix.arg(fd, 'x');
  const y = ix.arg(fd, 'y');
  if (x === undefined || y === undefined) return undefined;
  const and = ix.from(cast, 'x', 'logical_and', BINARY);
  const nz = and && ix.from(and, 'x', 'not_equal', BINARY);
  const xor = and && ix.from(and, 'y', 'logical_xor', BINARY);
  const mod = nz && ix.from(nz, 'x', 'mod', BINARY);
  const xn = xor && ix.from(xor, 'x', 'less', BINARY);
  const yn = xor && ix.from(xor, 'y', 'less', BINARY);
  if (!nz || !xor || !mod || !xn || !yn) return undefined;
  if (ix.arg(mod, 'x') !== x || ix.arg(mod, 'y') !== y || ix.arg(xn, 'x') !== x || ix.arg(yn, 'x') !== y) return undefined;
  if (!ix.isZero(nz, 'y') || !ix.isZero(xn, 'y') || !ix.isZero(yn, 'y')) return undefined;
  const group = [fd, mod, nz, xn, yn, xor, and, cast];
  return {
    at: ix.indexOf(add),
    absorbed: group.map((o) => ix.indexOf(o)).sort((a, b) => a - b),
    kind: 'div',
    op: { type: 'int32 div (floor_div + mod composition)', inputs: { x: fd.inputs!.x!, y: fd.inputs!.y! }, outputs: add.outputs!, attributes: add.attributes ?? {} },
  };
}

/**
 * The groups of `block` to lift as single IR ops, by the index of their last op. Groups never
 * overlap: every intermediate value of a group has exactly one use, inside it.
 */
export function findFusedGroups(block: MilBlock): Map<number, FusedGroup> {
  const ix = new BlockIndex(block);
  const out = new Map<number, FusedGroup>();
  (block.operations ?? []).forEach((op) => {
    const g = matchIntDiv(ix, op);
    if (g) out.set(g.at, g);
  });
  return out;
}
