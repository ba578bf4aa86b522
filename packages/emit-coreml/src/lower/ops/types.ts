/**
 * The shape of an op mapping: a function that reads the IR op through the
 * {@link LoweringContext} and emits the MIL ops computing its outputs.
 * @module
 */
import type { LoweringContext } from '../context.js';

/** Lowers one IR op. */
export type OpLowering = (cx: LoweringContext) => void;

/** Op mappings by IR op kind. */
export type LoweringTable = Readonly<Record<string, OpLowering>>;
