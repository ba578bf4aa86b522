/**
 * Generates the typed DSL surface and the op reference page from the op registry:
 * - `packages/graph/src/builder/ops.generated.ts`: one typed method per op (positional tensor
 *   inputs in definition order, attributes as a typed options object, TSDoc from the op's docs,
 *   output dtype and rank from each output's `typing`), written with ts-morph;
 * - `docs/ops.md`: the op reference page;
 * - from the ane-bench result schema (packages/ane-passes/src/measure/ane-bench.schema.json):
 *   its TypeScript types and the Swift Codable types inside tools/ane-bench/ane-bench.swift.
 * - `docs/ane-rules.md`: the ANE rule catalogue of the analysis (packages/ane-passes/src/analysis/rules.ts).
 *
 * `tsx scripts/codegen.ts` writes the files; `--check` regenerates them in memory and exits
 * non-zero, naming each stale file, when the files on disk differ.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IndentationText, NewLineKind, Project, QuoteKind, Scope, type MethodDeclarationStructure, type OptionalKind, type ParameterDeclarationStructure, type PropertySignatureStructure, type TypeParameterDeclarationStructure } from 'ts-morph';
// The package entry registers every op, wherever it is defined.
import { FastVlmError, LAYOUT_TRAITS, allOps, type AttrSpec, type InputSpec, type OpDef, type OutputTyping } from '../packages/graph/src/index.js';
import type { JsonSchema } from '../packages/ane-passes/src/measure/json-schema.js';
import { replaceSwiftRegion, schemaToSwift, schemaToTypeScript } from './schema-codegen.js';
import { renderRulesDoc } from '../packages/ane-passes/src/analysis/rules.js';

/** Repository root (this file lives in `scripts/`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the generated files go, relative to the repository root. */
export const GENERATED_TS = 'packages/graph/src/builder/ops.generated.ts';
export const GENERATED_DOCS = 'docs/ops.md';
/** The ANE rule catalogue page, from the rules of the analysis. */
export const GENERATED_RULES_DOC = 'docs/ane-rules.md';

/** The measurement schema and the files generated from it. */
export const BENCH_SCHEMA = 'packages/ane-passes/src/measure/ane-bench.schema.json';
export const GENERATED_BENCH_TS = 'packages/ane-passes/src/measure/bench-types.generated.ts';
export const BENCH_SWIFT = 'tools/ane-bench/ane-bench.swift';

/** A generated file: repository-relative path and exact content. */
export interface GeneratedFile {
  readonly path: string;
  readonly content: string;
}

/** Ops with no generated method, and why. */
const SKIPPED: Readonly<Record<string, string>> = {
  const: 'use `f.param`, `f.constant` or `f.scalar`, which type the dtype and rank',
};

/** Members of GraphFunction a generated method must not shadow; such ops get an `Op` suffix. */
const RESERVED_MEMBERS = new Set([
  'addOp', 'constant', 'constructor', 'func', 'input', 'name', 'output', 'outputs', 'param', 'paramName',
  'renameValue', 'scalar', 'scope', 'scopeName', 'storedConstant', 'toString',
]);

/** Identifiers that cannot name a parameter. */
const RESERVED_WORDS = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in',
  'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try',
  'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface',
  'package', 'private', 'protected', 'public', 'await', 'options', 'arguments', 'eval',
]);

function codegenError(message: string): FastVlmError {
  return new FastVlmError('E_CODEGEN', message, { where: 'scripts/codegen.ts' });
}

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function camel(s: string): string {
  const p = pascal(s);
  return p[0]!.toLowerCase() + p.slice(1);
}

/** The DSL method name of an op: camelCase, suffixed when it would shadow a DSL member. */
export function methodName(op: string): string {
  const m = camel(op);
  return RESERVED_MEMBERS.has(m) ? `${m}Op` : m;
}

function paramName(input: string): string {
  const n = camel(input);
  return RESERVED_WORDS.has(n) ? `${n}_` : n;
}

/** Text safe inside a `/** ... *\/` comment (no comment end, no accidental TSDoc tags). */
function docText(s: string): string {
  return s.replace(/\*\//g, '*\\/').replace(/@/g, '\\@').trim();
}

function union(values: readonly string[]): string {
  return values.map((v) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(' | ');
}

function literal(v: unknown): string {
  return JSON.stringify(v);
}

/** Per-input facts for one op's method. */
interface InputPlan {
  readonly spec: InputSpec;
  readonly param: string;
  readonly dGen: string | undefined;
  readonly rGen: string | undefined;
}

interface OpPlan {
  readonly def: OpDef;
  readonly method: string;
  readonly inputs: readonly InputPlan[];
  /** Attribute typed by a type parameter (for `attr-dtype:` typings). */
  readonly attrGens: ReadonlyMap<string, string>;
}

function typingTarget(t: OutputTyping): { kind: string; arg: string } {
  const i = t.indexOf(':');
  return i < 0 ? { kind: t, arg: '' } : { kind: t.slice(0, i), arg: t.slice(i + 1) };
}

function planOp(def: OpDef): OpPlan {
  const needD = new Set<string>();
  const needR = new Set<string>();
  const attrGens = new Map<string, string>();
  const first = def.inputs[0];
  for (const out of def.outputs) {
    const { kind, arg } = typingTarget(out.typing);
    if (kind === 'same') {
      if (!def.inputs.some((i) => i.name === arg)) throw codegenError(`${def.name} output '${out.name}' has typing '${out.typing}' but no input '${arg}'`);
      needD.add(arg);
      needR.add(arg);
    } else if (kind === 'broadcast' || kind === 'bool-broadcast') {
      const dIn = arg || first?.name;
      if (kind === 'broadcast' && arg && !def.inputs.some((i) => i.name === arg)) throw codegenError(`${def.name} output '${out.name}' has typing '${out.typing}' but no input '${arg}'`);
      if (kind === 'broadcast' && dIn) needD.add(dIn);
      for (const i of def.inputs) if (!i.optional && !i.variadic) needR.add(i.name);
    } else if (kind === 'rank' || kind === 'dynamic') {
      if (first) needD.add(first.name);
    } else if (kind === 'attr-dtype') {
      const attr = def.attrs.find((a) => a.name === arg);
      if (!attr) throw codegenError(`${def.name} output '${out.name}' has typing '${out.typing}' but no attribute '${arg}'`);
      attrGens.set(arg, `T${pascal(arg)}`);
      if (first) needR.add(first.name);
    }
  }
  const inputs = def.inputs.map((spec): InputPlan => ({
    spec,
    param: paramName(spec.name),
    dGen: needD.has(spec.name) ? `D${pascal(spec.name)}` : undefined,
    rGen: needR.has(spec.name) || spec.rank !== undefined ? `R${pascal(spec.name)}` : undefined,
  }));
  return { def, method: methodName(def.name), inputs, attrGens };
}

function handleType(plan: OpPlan, ip: InputPlan): string {
  const d = ip.dGen ?? union(ip.spec.dtypes);
  const r = ip.rGen ?? 'number';
  let t = `TensorHandle<${d}, ${r}>`;
  if (ip.spec.rank !== undefined) t = `${t} & RankCheck<${r}, ${ip.spec.rank}, '${plan.def.name}', '${ip.spec.name}'>`;
  return ip.spec.variadic ? `readonly (${t})[]` : t;
}

function outputType(plan: OpPlan, typing: OutputTyping): string {
  const { kind, arg } = typingTarget(typing);
  const first = plan.inputs[0];
  const firstD = first?.dGen ?? 'DType';
  if (kind === 'same') {
    const ip = plan.inputs.find((i) => i.spec.name === arg)!;
    return `TensorHandle<${ip.dGen!}, ${ip.rGen!}>`;
  }
  if (kind === 'broadcast' || kind === 'bool-broadcast') {
    const loose = plan.inputs.some((i) => i.spec.optional || i.spec.variadic);
    const ranks = plan.inputs.filter((i) => !i.spec.optional && !i.spec.variadic).map((i) => i.rGen!);
    let r = 'number';
    if (!loose && ranks.length > 0) {
      r = ranks[ranks.length - 1]!;
      for (let i = ranks.length - 2; i >= 0; i--) r = `MaxRank<${ranks[i]!}, ${r}>`;
    }
    const dt = arg ? plan.inputs.find((i) => i.spec.name === arg)?.dGen ?? 'DType' : firstD;
    return `TensorHandle<${kind === 'broadcast' ? dt : "'bool'"}, ${r}>`;
  }
  if (kind === 'rank') return `TensorHandle<${firstD}, ${Number(arg)}>`;
  if (kind === 'attr-dtype') return `TensorHandle<${plan.attrGens.get(arg)!}, ${first?.rGen ?? 'number'}>`;
  return `TensorHandle<${firstD}, number>`;
}

function attrTsType(plan: OpPlan, a: AttrSpec): string {
  const gen = plan.attrGens.get(a.name);
  if (gen) return gen;
  const lits = a.oneOf && a.oneOf.length > 0 ? union(a.oneOf) : undefined;
  switch (a.kind) {
    case 'int':
    case 'float':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'string':
      return lits ?? 'string';
    case 'dtype':
      return lits ?? 'DType';
    case 'ints':
    case 'floats':
      return 'readonly number[]';
    case 'strings':
      return lits ? `readonly (${lits})[]` : 'readonly string[]';
    case 'dims':
      return 'readonly Dim[]';
  }
}

function attrRequired(a: AttrSpec): boolean {
  return a.default === undefined && !a.optional;
}

function optionsName(plan: OpPlan): string {
  return `${pascal(plan.def.name)}Options`;
}

function attrGenParams(plan: OpPlan, withDefaults: boolean): OptionalKind<TypeParameterDeclarationStructure>[] {
  return [...plan.attrGens].map(([attr, gen]) => {
    const a = plan.def.attrs.find((x) => x.name === attr)!;
    const constraint = a.oneOf && a.oneOf.length > 0 ? union(a.oneOf) : 'DType';
    return {
      name: gen,
      constraint,
      ...(withDefaults ? { default: typeof a.default === 'string' ? `'${a.default}'` : constraint } : {}),
    };
  });
}

function optionsInterface(plan: OpPlan): { name: string; typeParameters: OptionalKind<TypeParameterDeclarationStructure>[]; properties: OptionalKind<PropertySignatureStructure>[]; docs: string[] } {
  return {
    name: optionsName(plan),
    typeParameters: attrGenParams(plan, true),
    docs: [`Attributes of {@link OpMethods.${plan.method} | ${plan.method}} (op \`${plan.def.name}\`).`],
    properties: plan.def.attrs.map((a) => {
      const extra: string[] = [];
      if (a.default !== undefined) extra.push(`@defaultValue \`${literal(a.default)}\``);
      else if (a.optional) extra.push('Optional: absent means not given.');
      return {
        name: a.name,
        type: attrTsType(plan, a),
        hasQuestionToken: !attrRequired(a),
        isReadonly: true,
        docs: [[docText(a.doc), `Kind \`${a.kind}\`${a.oneOf ? `, one of ${a.oneOf.map((x) => `\`${x}\``).join(', ')}` : ''}.`, ...extra].join('\n\n')],
      };
    }),
  };
}

function methodOf(plan: OpPlan): OptionalKind<MethodDeclarationStructure> {
  const { def } = plan;
  const typeParameters: OptionalKind<TypeParameterDeclarationStructure>[] = [];
  for (const ip of plan.inputs) {
    if (ip.dGen) typeParameters.push({ name: ip.dGen, constraint: union(ip.spec.dtypes) });
    if (ip.rGen) typeParameters.push({ name: ip.rGen, constraint: 'number' });
  }
  typeParameters.push(...attrGenParams(plan, true));
  // Optional inputs before a required one stay positional: typed `| undefined`, not `?`.
  const lastRequired = plan.inputs.reduce((acc, ip, i) => (ip.spec.optional ? acc : i), -1);
  const hasAttrs = def.attrs.length > 0;
  const optionsRequired = def.attrs.some(attrRequired);
  const parameters: OptionalKind<ParameterDeclarationStructure>[] = plan.inputs.map((ip, i) => {
    const t = handleType(plan, ip);
    if (!ip.spec.optional) return { name: ip.param, type: t };
    return i < lastRequired || (optionsRequired && hasAttrs) ? { name: ip.param, type: `${t} | undefined` } : { name: ip.param, type: t, hasQuestionToken: true };
  });
  const optType = `${optionsName(plan)}${plan.attrGens.size ? `<${[...plan.attrGens.values()].join(', ')}>` : ''}`;
  if (hasAttrs) parameters.push(optionsRequired ? { name: 'options', type: optType } : { name: 'options', type: optType, initializer: '{}' });

  const outs = def.outputs.map((o) => outputType(plan, o.typing));
  const returnType = def.variadicOutputs ? `${outs[0]!}[]` : outs.length === 1 ? outs[0]! : `[${outs.join(', ')}]`;
  const inputsObj = plan.inputs.length ? `{ ${plan.inputs.map((ip) => (ip.param === ip.spec.name ? ip.param : `${ip.spec.name}: ${ip.param}`)).join(', ')} }` : '{}';
  const call = `this.addOp('${def.name}', ${inputsObj}, ${hasAttrs ? 'options' : 'undefined'})`;
  const body = def.variadicOutputs || outs.length !== 1 ? `return ${call} as ${returnType};` : `return ${call}[0] as ${returnType};`;

  const paramTags = plan.inputs.map((ip) => ({
    tagName: 'param',
    text: `${ip.param} - ${docText(ip.spec.doc)}${ip.spec.optional ? ' Optional.' : ''}${ip.spec.variadic ? ' A list of tensors.' : ''} Dtypes: ${ip.spec.dtypes.join(', ')}${ip.spec.rank !== undefined ? `; rank ${ip.spec.rank}` : ''}.`,
  }));
  if (hasAttrs) paramTags.push({ tagName: 'param', text: `options - Attributes: ${def.attrs.map((a) => `\`${a.name}\``).join(', ')} (see {@link ${optionsName(plan)}}).` });
  const outDoc = def.outputs.map((o) => `\`${o.name}\`${o.doc ? `: ${docText(o.doc)}` : ''} (typing \`${o.typing}\`)`).join('; ');
  return {
    name: plan.method,
    typeParameters,
    parameters,
    returnType,
    statements: [body],
    docs: [
      {
        description: `${docText(def.doc)}\n\nOp \`${def.name}\` (family \`${def.family}\`).`,
        tags: [...paramTags, { tagName: 'returns', text: def.variadicOutputs ? `One tensor per piece: ${outDoc}.` : `${outDoc}.` }],
      },
    ],
  };
}

/** The TypeScript source of `ops.generated.ts` for the given op definitions. */
export function generateOpsSource(defs: readonly OpDef[]): string {
  const plans = defs.filter((d) => SKIPPED[d.name] === undefined).map(planOp);
  const seen = new Map<string, string>();
  for (const p of plans) {
    const prev = seen.get(p.method);
    if (prev !== undefined) throw codegenError(`ops '${prev}' and '${p.def.name}' both map to method '${p.method}'`);
    seen.set(p.method, p.def.name);
  }
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single, newLineKind: NewLineKind.LineFeed, useTrailingCommas: true },
  });
  const sf = project.createSourceFile('/ops.generated.ts', '');
  const skipped = Object.entries(SKIPPED).filter(([k]) => defs.some((d) => d.name === k));
  sf.addImportDeclarations([
    { isTypeOnly: true, namedImports: ['DType'], moduleSpecifier: '../dtype.js' },
    { isTypeOnly: true, namedImports: ['Dim'], moduleSpecifier: '../shape.js' },
    { isTypeOnly: true, namedImports: ['OpArgs', 'TensorHandle'], moduleSpecifier: './handle.js' },
    { isTypeOnly: true, namedImports: ['MaxRank', 'RankCheck'], moduleSpecifier: './rank.js' },
  ]);
  sf.insertStatements(0, [
    '// GENERATED by scripts/codegen.ts from the op registry. Do not edit: run `npm run codegen`.',
    '/**',
    ' * The typed builder methods of the DSL, one per registered op (see {@link OpMethods}).',
    ...(skipped.length ? [' *', ...skipped.map(([k, why]) => ` * Op \`${k}\` has no method here: ${why}.`)] : []),
    ' * @module',
    ' */',
  ]);
  for (const p of plans) {
    if (p.def.attrs.length === 0) continue;
    const itf = optionsInterface(p);
    sf.addInterface({ ...itf, isExported: true });
  }
  sf.addClass({
    name: 'OpMethods',
    isExported: true,
    isAbstract: true,
    docs: ['One typed method per registered op. {@link GraphFunction} implements {@link OpMethods.addOp}; the methods here only fix the types.'],
    methods: [
      {
        name: 'addOp',
        isAbstract: true,
        scope: Scope.Protected,
        docs: ['Validates and appends one op of the registry; returns its outputs. Implemented by the DSL function builder.'],
        parameters: [
          { name: 'kind', type: 'string' },
          { name: 'inputs', type: 'OpArgs' },
          { name: 'attrs', type: 'object | undefined' },
        ],
        returnType: 'TensorHandle[]',
      },
      ...plans.map(methodOf),
    ],
  });
  sf.formatText({ indentSize: 2, convertTabsToSpaces: true, ensureNewLineAtEndOfFile: true, trimTrailingWhitespace: true });
  return sf.getFullText();
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim();
}

function dslCall(def: OpDef): string {
  if (SKIPPED[def.name] !== undefined) return `none: ${SKIPPED[def.name]!}`;
  const args = def.inputs.map((i) => `${paramName(i.name)}${i.optional ? '?' : ''}`);
  if (def.attrs.length) args.push(def.attrs.some(attrRequired) ? 'options' : 'options?');
  return `\`f.${methodName(def.name)}(${args.join(', ')})\``;
}

/** The Markdown op reference page for the given op definitions. */
export function generateOpsDoc(defs: readonly OpDef[]): string {
  const families = [...new Set(defs.map((d) => d.family))].sort();
  const lines: string[] = [
    '<!-- GENERATED by scripts/codegen.ts from the op registry. Do not edit: run `npm run codegen`. -->',
    '',
    '# Op reference',
    '',
    `Every op of the IR (${defs.length} ops), generated from the definitions in \`packages/graph/src/ops/\`.`,
    'Inputs are listed in definition order, which is also the order of the DSL method\'s positional',
    'parameters; attributes go in the method\'s options object. Output typings say how the DSL types',
    'a result: `same:NAME` (as input NAME), `broadcast` (dtype of the first input, the largest rank),',
    '`broadcast:NAME` (dtype of input NAME, the largest rank), `bool-broadcast`, `rank:N`, `attr-dtype:ATTR` (dtype from an attribute) or `dynamic` (rank known',
    'only at run time).',
    '',
    'Each op states its traits, the facts passes read instead of keeping kind lists of their own:',
    '`commutative` (`op(x, y) = op(y, x)`) and a layout trait, one of:',
    '',
    ...Object.entries(LAYOUT_TRAITS).map(([k, doc]) => `- \`${k}\`: ${doc}`),
    '',
    '## Contents',
    '',
  ];
  for (const fam of families) {
    lines.push(`- **${fam}**: ${defs.filter((d) => d.family === fam).map((d) => `[\`${d.name}\`](#${d.name.replace(/[^a-z0-9_-]/gi, '').toLowerCase()})`).join(', ')}`);
  }
  for (const def of defs) {
    const traits = `Traits: layout \`${def.traits.layout}\`${def.traits.commutative ? ', commutative' : ''}.`;
    lines.push('', `## ${def.name}`, '', `Family: \`${def.family}\`. DSL: ${dslCall(def)}. ${traits}`, '', def.doc.replace(/\r?\n/g, ' ').trim(), '');
    if (def.inputs.length) {
      lines.push('**Inputs**', '', '| name | dtypes | rank | required | doc |', '|---|---|---|---|---|');
      for (const i of def.inputs) {
        lines.push(`| \`${i.name}\`${i.variadic ? ' (list)' : ''} | ${i.dtypes.join(', ')} | ${i.rank ?? 'any'} | ${i.optional ? 'no' : 'yes'} | ${cell(i.doc)} |`);
      }
    } else {
      lines.push('**Inputs**: none.');
    }
    lines.push('');
    if (def.attrs.length) {
      lines.push('**Attributes**', '', '| name | kind | default | doc |', '|---|---|---|---|');
      for (const a of def.attrs) {
        const dflt = a.default !== undefined ? `\`${cell(literal(a.default))}\`` : a.optional ? 'optional' : 'required';
        const kind = `${a.kind}${a.oneOf ? `: ${a.oneOf.map((x) => `\`${x}\``).join(', ')}` : ''}`;
        lines.push(`| \`${a.name}\` | ${cell(kind)} | ${dflt} | ${cell(a.doc)} |`);
      }
    } else {
      lines.push('**Attributes**: none.');
    }
    lines.push('', '**Outputs**', '', '| name | typing | doc |', '|---|---|---|');
    for (const o of def.outputs) {
      lines.push(`| \`${o.name}\`${def.variadicOutputs ? ' (one per piece)' : ''} | \`${o.typing}\` | ${cell(o.doc ?? '')} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** Every generated file, from the ops registered now. */
export function generateFiles(defs: readonly OpDef[] = allOps(), root: string = REPO_ROOT): GeneratedFile[] {
  const schema = JSON.parse(readFileSync(join(root, BENCH_SCHEMA), 'utf8')) as JsonSchema;
  const swift = readFileSync(join(root, BENCH_SWIFT), 'utf8');
  return [
    { path: GENERATED_TS, content: generateOpsSource(defs) },
    { path: GENERATED_DOCS, content: generateOpsDoc(defs) },
    { path: GENERATED_BENCH_TS, content: schemaToTypeScript(schema, BENCH_SCHEMA) },
    { path: BENCH_SWIFT, content: replaceSwiftRegion(swift, schemaToSwift(schema, BENCH_SCHEMA), BENCH_SWIFT) },
    { path: GENERATED_RULES_DOC, content: renderRulesDoc() },
  ];
}

/** Repository-relative paths of generated files whose content on disk differs (or is missing). */
export function staleFiles(root: string = REPO_ROOT, files: readonly GeneratedFile[] = generateFiles()): string[] {
  return files.filter((f) => {
    const p = join(root, f.path);
    return !existsSync(p) || readFileSync(p, 'utf8') !== f.content;
  }).map((f) => f.path);
}

/** Writes the generated files that changed; returns their paths. */
export function writeFiles(root: string = REPO_ROOT, files: readonly GeneratedFile[] = generateFiles()): string[] {
  const stale = staleFiles(root, files);
  for (const f of files) {
    if (!stale.includes(f.path)) continue;
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
  return stale;
}

/** Command-line entry: returns the process exit code. */
export function main(argv: readonly string[]): number {
  if (argv.includes('--check')) {
    const stale = staleFiles();
    for (const s of stale) console.error(`codegen: ${s} is stale; run \`npm run codegen\` and commit the result`);
    if (stale.length === 0) console.log(`codegen: generated files are up to date (${allOps().length} ops)`);
    return stale.length ? 1 : 0;
  }
  const written = writeFiles();
  console.log(written.length ? `codegen: wrote ${written.join(', ')}` : 'codegen: nothing to do');
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
