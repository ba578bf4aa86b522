/**
 * Renders the pass reference pages (docs/passes/*.md) from the pass definitions, so the docs
 * are the passes' own `summary`, options and `doc` (checked for freshness by a test; written by
 * `npx tsx packages/ane-passes/scripts/gen-pass-docs.ts`).
 * @module
 */
import { BUILTIN_PASSES } from './builtins.js';
import type { OptionSpec } from './options.js';
import type { AnyPass } from './pass.js';
import { PRESETS } from './presets.js';

function optionRow(name: string, spec: OptionSpec): string {
  const kind = spec.kind === 'enum' ? spec.values.map((v) => `\`'${v}'\``).join(' \\| ') : spec.kind;
  const range = spec.kind === 'int' || spec.kind === 'number' ? [spec.min !== undefined ? `>= ${spec.min}` : '', spec.max !== undefined ? `<= ${spec.max}` : ''].filter(Boolean).join(', ') : '';
  const def = spec.kind === 'enum' ? `'${spec.default}'` : JSON.stringify(spec.default);
  return `| \`${name}\` | ${kind} | ${range || '-'} | \`${def}\` | ${spec.doc} |`;
}

/** The page of one pass. */
export function renderPassPage(pass: AnyPass): string {
  const opts = Object.entries(pass.options);
  const options = opts.length
    ? ['| option | kind | range | default | meaning |', '|---|---|---|---|---|', ...opts.map(([n, s]) => optionRow(n, s))].join('\n')
    : 'No options.';
  return `<!-- Generated from the pass definition by packages/ane-passes/scripts/gen-pass-docs.ts. Do not edit. -->
# \`${pass.name}\`

${pass.summary}

## Options

${options}

## What it does

${pass.doc}
`;
}

/** The index page: every pass and the presets. */
export function renderIndex(): string {
  const rows = Object.values(BUILTIN_PASSES).map((p) => `| [\`${p.name}\`](${p.name}.md) | ${p.summary} |`);
  const presets = Object.entries(PRESETS).map(([name, pr]) => {
    const steps = pr.steps.map(([n, o], i) => `${i + 1}. \`${n}\`${Object.keys(o).length ? ` ${JSON.stringify(o)}` : ''}`).join('\n');
    return `### \`${name}\`\n\n${pr.summary}\n\n${steps}\n`;
  });
  return `<!-- Generated from the pass definitions by packages/ane-passes/scripts/gen-pass-docs.ts. Do not edit. -->
# Passes of @fastvlm/ane-passes

Every pass is a verb, documents itself with the IR before and after (the examples are tests),
and runs through a \`PassManager\` (\`new PassManager().add('fold-constants').add('assign-layout',
{ target: 'ane' })\`, or \`PassManager.preset('ane')\`). See [writing a pass](../writing-a-pass.md).

| pass | what it does |
|---|---|
${rows.join('\n')}

## Presets

${presets.join('\n')}`;
}

/** Every page by file name (relative to docs/passes). */
export function renderPassDocs(): Map<string, string> {
  const m = new Map<string, string>([['README.md', renderIndex()]]);
  for (const p of Object.values(BUILTIN_PASSES)) m.set(`${p.name}.md`, renderPassPage(p as AnyPass));
  return m;
}
