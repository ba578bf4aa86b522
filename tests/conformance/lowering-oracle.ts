/**
 * The coremltools oracle of the lowering suites: checks whether the venv can run coremltools,
 * runs py/check_package.py on a batch of packages (one Python process), and compares its report
 * with what we emitted (op types and names, output dtypes and shapes as coremltools re-infers
 * them, function inputs/outputs, feature descriptions, metadata, and every constant's bytes).
 * @module
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFp16 } from '@fastvlm/graph';
import {
  ArrayDataType, type CoreMLModel, type FeatureDescription, type LoweredModel, type MilValue, type MilValueType, decodeMilValue, describeTensorType, unpackElements,
} from '@fastvlm/emit-coreml';
import { VENV_PYTHON, runPythonJson } from './venv-python.js';

/** A value as coremltools reports it. */
export interface PyVar {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
}

/** A value digest (see {@link canonicalDigest}). */
export interface PyDigest {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly sha256?: string | null;
  readonly string?: string;
}

/** An op as coremltools rebuilt it. */
export interface PyOp {
  readonly type: string;
  readonly name: string;
  readonly outputs: readonly PyVar[];
  readonly inputs?: Readonly<Record<string, string | readonly string[]>>;
  readonly value?: PyDigest;
  /** constexpr ops: digests of their parameters and the dense value coremltools computes. */
  readonly params?: Readonly<Record<string, PyDigest>>;
  readonly materialized?: readonly number[] | null;
}

/** A feature as coremltools reads it from the description. */
export interface PyFeature {
  readonly name: string;
  readonly kind: string;
  readonly shortDescription: string;
  readonly shape?: readonly number[];
  readonly dataType?: string;
  readonly enumeratedShapes?: readonly (readonly number[])[];
  readonly shapeRange?: readonly (readonly number[])[];
  readonly width?: number;
  readonly height?: number;
  readonly colorSpace?: string;
}

/** One package report of check_package.py. */
export interface PyPackage {
  readonly path: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly trace?: string;
  readonly specificationVersion?: number;
  readonly description?: {
    readonly input: readonly PyFeature[];
    readonly output: readonly PyFeature[];
    readonly functions: readonly { readonly name: string; readonly input: readonly PyFeature[]; readonly output: readonly PyFeature[] }[];
    readonly defaultFunctionName: string;
    readonly metadata: { readonly author: string; readonly license: string; readonly versionString: string; readonly shortDescription: string; readonly userDefined: Readonly<Record<string, string>> };
  };
  readonly functions?: Readonly<Record<string, { readonly inputs: readonly PyVar[]; readonly outputs: readonly PyVar[]; readonly ops: readonly PyOp[] }>>;
}

let probed: boolean | undefined;

/**
 * True when the venv Python can import coremltools. When it cannot: under CI=true this throws
 * (the oracle must run there); elsewhere it prints that `suite` was not run and returns false.
 */
export function coremltoolsReady(suite: string): boolean {
  if (probed === undefined) {
    probed = existsSync(VENV_PYTHON);
    if (probed) {
      try {
        execFileSync(VENV_PYTHON, ['-c', 'import coremltools'], { stdio: 'ignore', timeout: 120_000 });
      } catch {
        probed = false;
      }
    }
  }
  if (probed) return true;
  const msg = `${suite}: conformance NOT RUN: ${VENV_PYTHON} with coremltools is missing (create it with scripts/ensure-venv.sh)`;
  if (process.env.CI === 'true') throw new Error(`${msg}; CI=true requires the coremltools oracle`);
  console.warn(msg);
  return false;
}

/** Runs check_package.py once over `paths` (list file written into `workDir`). */
export function checkPackages(paths: readonly string[], workDir: string): Map<string, PyPackage> {
  const list = join(workDir, `check-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(list, JSON.stringify(paths));
  const out = runPythonJson<{ packages: PyPackage[] }>('check_package.py', [list], 600_000);
  return new Map(out.packages.map((p) => [p.path, p]));
}

const ARRAY_NAMES = new Map<number, string>(Object.entries(ArrayDataType).map(([k, v]) => [v, k]));
const COLOR_NAMES: Readonly<Record<number, string>> = { 10: 'GRAYSCALE', 20: 'RGB', 30: 'BGR', 40: 'GRAYSCALE_FLOAT16' };

function sha256(parts: Iterable<Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/**
 * The digest check_package.py computes: little-endian storage bytes, one byte per element for
 * bool and the sub-byte types.
 */
export function canonicalDigest(dtype: string, elements: ArrayLike<number>): string | undefined {
  const n = elements.length;
  let bytes: ArrayBufferView;
  switch (dtype) {
    case 'fp32': bytes = Float32Array.from(elements); break;
    case 'fp64': bytes = Float64Array.from(elements); break;
    case 'fp16': bytes = encodeFp16(elements); break;
    case 'int32': bytes = Int32Array.from(elements); break;
    case 'int16': bytes = Int16Array.from(elements); break;
    case 'uint16': bytes = Uint16Array.from(elements); break;
    case 'uint32': bytes = Uint32Array.from(elements); break;
    case 'int8': case 'int4': bytes = Int8Array.from(elements); break;
    case 'uint8': case 'bool': case 'uint1': case 'uint2': case 'uint3': case 'uint4': case 'uint6': bytes = Uint8Array.from(elements); break;
    default: return undefined;
  }
  void n;
  return sha256([new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)]);
}

/** Elements of a MIL value: inline, or from the weight plan's source bytes for blobs. */
function elementsOf(val: MilValue, blobBytes: ReadonlyMap<object, Uint8Array>, at: string): { dtype: string; data: ArrayLike<number> } | { dtype: 'string'; str: string } {
  const d = describeTensorType(val.type, at);
  if (d.dtype === 'string') return { dtype: 'string', str: (decodeMilValue(val, undefined, at).data as readonly string[])[0] ?? '' };
  if (val.blobFileValue) {
    const bytes = blobBytes.get(val.blobFileValue);
    if (!bytes) throw new Error(`${at}: blob reference not in the weight plan`);
    const count = d.shape.reduce<number>((a, b) => a * (b ?? 0), 1);
    return { dtype: d.dtype, data: unpackElements(d.dtype, bytes, count, at) };
  }
  return { dtype: d.dtype, data: decodeMilValue(val, undefined, at).data as ArrayLike<number> };
}

function typeOf(name: string, t: MilValueType | undefined): PyVar {
  const d = describeTensorType(t, name);
  return { name, dtype: d.dtype, shape: d.shape.map((x) => (x === null ? '?' : x)) };
}

function sameVar(want: PyVar, got: PyVar | undefined): boolean {
  if (!got || got.name !== want.name || got.dtype !== want.dtype || got.shape.length !== want.shape.length) return false;
  return want.shape.every((d, i) => (d === '?' ? typeof got.shape[i] === 'string' || typeof got.shape[i] === 'number' : d === got.shape[i]));
}

function fmtVar(v: PyVar | undefined): string {
  return v ? `%${v.name}: ${v.dtype}[${v.shape.join(',')}]` : '(missing)';
}

function featureMismatch(where: string, want: FeatureDescription, got: PyFeature | undefined): string[] {
  if (!got) return [`${where}: feature ${want.name} missing`];
  const out: string[] = [];
  const t = want.type ?? {};
  if (got.name !== want.name) out.push(`${where}: name ${got.name} != ${want.name}`);
  if ((want.shortDescription ?? '') !== got.shortDescription) out.push(`${where}: shortDescription '${got.shortDescription}' != '${want.shortDescription ?? ''}'`);
  if (t.multiArrayType) {
    const a = t.multiArrayType;
    if (got.kind !== 'multiArrayType') out.push(`${where}: kind ${got.kind} != multiArrayType`);
    if (JSON.stringify(got.shape ?? []) !== JSON.stringify(a.shape ?? [])) out.push(`${where}: shape ${JSON.stringify(got.shape)} != ${JSON.stringify(a.shape ?? [])}`);
    if (got.dataType !== ARRAY_NAMES.get(a.dataType ?? 0)) out.push(`${where}: dataType ${got.dataType} != ${ARRAY_NAMES.get(a.dataType ?? 0)}`);
    const en = a.enumeratedShapes?.shapes?.map((s) => s.shape ?? []);
    if (JSON.stringify(got.enumeratedShapes) !== JSON.stringify(en)) out.push(`${where}: enumeratedShapes ${JSON.stringify(got.enumeratedShapes)} != ${JSON.stringify(en)}`);
    const sr = a.shapeRange?.sizeRanges?.map((r) => [r.lowerBound ?? 0, r.upperBound ?? 0]);
    if (JSON.stringify(got.shapeRange) !== JSON.stringify(sr)) out.push(`${where}: shapeRange ${JSON.stringify(got.shapeRange)} != ${JSON.stringify(sr)}`);
  } else if (t.imageType) {
    const i = t.imageType;
    if (got.kind !== 'imageType' || got.width !== i.width || got.height !== i.height || got.colorSpace !== COLOR_NAMES[i.colorSpace ?? 0]) {
      out.push(`${where}: image ${JSON.stringify(got)} != ${JSON.stringify(i)}`);
    }
  }
  return out;
}

/**
 * Differences between what we emitted (`lowered`; blob bytes taken from its weight plan, i.e.
 * from the WeightStore) and what coremltools read from the package. Empty when they agree.
 */
export function comparePackage(lowered: LoweredModel, report: PyPackage | undefined): string[] {
  if (!report) return ['no report from coremltools'];
  if (!report.ok) return [`coremltools rejected the package: ${report.error ?? '?'}\n${report.trace ?? ''}`];
  const model: CoreMLModel = lowered.model;
  const out: string[] = [];
  if (report.specificationVersion !== model.specificationVersion) out.push(`specificationVersion ${report.specificationVersion} != ${model.specificationVersion}`);
  // Blob bytes straight from the weight plan (the source data, not what we wrote).
  const blobBytes = new Map<object, Uint8Array>();
  for (const b of lowered.blobs) {
    const bytes = Buffer.concat([...b.chunks()]);
    for (const r of b.refs) blobBytes.set(r, bytes);
  }
  const expectDigest = (val: MilValue, got: PyOp['value'], at: string): void => {
    const e = elementsOf(val, blobBytes, at);
    if ('str' in e) {
      if (got?.string !== e.str) out.push(`${at}: string ${got?.string} != ${e.str}`);
      return;
    }
    const want = canonicalDigest(e.dtype, e.data);
    if (!got || got.sha256 !== want) out.push(`${at}: ${val.blobFileValue ? 'weight' : 'inline'} ${e.dtype} value differs (coremltools ${got?.sha256 ?? '?'}, source ${want ?? '?'})`);
  };
  for (const [fname, fn] of Object.entries(model.mlProgram?.functions ?? {})) {
    const got = report.functions?.[fname];
    if (!got) {
      out.push(`function ${fname} missing`);
      continue;
    }
    const block = fn.blockSpecializations?.[fn.opset ?? '']!;
    const ins = (fn.inputs ?? []).map((i) => typeOf(i.name ?? '', i.type));
    ins.forEach((v, i) => {
      if (!sameVar(v, got.inputs[i])) out.push(`${fname} input ${i}: coremltools ${fmtVar(got.inputs[i])}, emitted ${fmtVar(v)}`);
    });
    if (got.inputs.length !== ins.length) out.push(`${fname}: ${got.inputs.length} inputs, emitted ${ins.length}`);
    const ops = block.operations ?? [];
    // coremltools' builder materializes omitted optional inputs as extra consts: skip those.
    const emittedNames = new Set(ops.map((o) => o.attributes?.name?.immediateValue?.tensor?.strings?.values?.[0] ?? ''));
    const gotOps = got.ops.filter((o) => o.type !== 'const' || emittedNames.has(o.name));
    if (gotOps.length !== ops.length) out.push(`${fname}: coremltools has ${gotOps.length} ops, emitted ${ops.length}: ${gotOps.map((o) => o.type).join(',')} vs ${ops.map((o) => o.type).join(',')}`);
    const types = new Map<string, PyVar>();
    ops.forEach((op, i) => {
      const g = gotOps[i];
      const name = op.attributes?.name?.immediateValue?.tensor?.strings?.values?.[0] ?? '';
      const at = `${fname} op ${i} ${op.type} '${name}'`;
      if (!g) return;
      if (g.type !== op.type || g.name !== name) out.push(`${at}: coremltools has ${g.type} '${g.name}'`);
      (op.outputs ?? []).forEach((o, k) => {
        const want = typeOf(o.name ?? '', o.type);
        types.set(want.name, want);
        if (!sameVar(want, g.outputs[k])) out.push(`${at} output ${k}: coremltools infers ${fmtVar(g.outputs[k])}, emitted ${fmtVar(want)}`);
      });
      if (op.type === 'const') expectDigest(op.attributes!.val!, g.value, at);
      if (op.type?.startsWith('constexpr_')) {
        // Parameters: inline input bindings (iOS18) or attributes (up to iOS17).
        const params: [string, MilValue][] = [
          ...Object.entries(op.inputs ?? {}).flatMap(([k, a]) => (a.arguments?.[0]?.value ? [[k, a.arguments[0].value] as [string, MilValue]] : [])),
          ...Object.entries(op.attributes ?? {}).filter(([k]) => k !== 'name'),
        ];
        for (const [k, v] of params) expectDigest(v, g.params?.[k], `${at} parameter ${k}`);
        if (Object.keys(g.params ?? {}).length !== params.length) out.push(`${at}: coremltools sees parameters ${Object.keys(g.params ?? {}).join(',')}`);
      }
    });
    const outs = block.outputs ?? [];
    outs.forEach((o, i) => {
      const want = types.get(o);
      if (!want || !sameVar(want, got.outputs[i])) out.push(`${fname} output ${i}: coremltools ${fmtVar(got.outputs[i])}, emitted ${fmtVar(want)}`);
    });
  }
  const desc = model.description ?? {};
  const gd = report.description!;
  (desc.input ?? []).forEach((f, i) => out.push(...featureMismatch(`input feature ${i}`, f, gd.input[i])));
  (desc.output ?? []).forEach((f, i) => out.push(...featureMismatch(`output feature ${i}`, f, gd.output[i])));
  if ((desc.input ?? []).length !== gd.input.length || (desc.output ?? []).length !== gd.output.length) out.push('feature counts differ');
  (desc.functions ?? []).forEach((fd, i) => {
    const g = gd.functions[i];
    if (!g || g.name !== fd.name) {
      out.push(`function description ${i}: ${g?.name} != ${fd.name}`);
      return;
    }
    (fd.input ?? []).forEach((f, k) => out.push(...featureMismatch(`${fd.name} input feature ${k}`, f, g.input[k])));
    (fd.output ?? []).forEach((f, k) => out.push(...featureMismatch(`${fd.name} output feature ${k}`, f, g.output[k])));
  });
  if ((desc.defaultFunctionName ?? '') !== gd.defaultFunctionName) out.push(`defaultFunctionName ${gd.defaultFunctionName} != ${desc.defaultFunctionName ?? ''}`);
  const md = desc.metadata ?? {};
  const gm = gd.metadata;
  if (gm.author !== (md.author ?? '') || gm.license !== (md.license ?? '') || gm.versionString !== (md.versionString ?? '') || gm.shortDescription !== (md.shortDescription ?? '')) {
    out.push(`metadata ${JSON.stringify(gm)} != ${JSON.stringify(md)}`);
  }
  if (JSON.stringify(Object.entries(gm.userDefined).sort()) !== JSON.stringify(Object.entries(md.userDefined ?? {}).sort())) out.push(`userDefined ${JSON.stringify(gm.userDefined)} != ${JSON.stringify(md.userDefined)}`);
  return out;
}
