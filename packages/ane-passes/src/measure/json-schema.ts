/**
 * The small JSON-schema subset our data files use (the ane-bench result): `type` (one, or a list
 * with `null`), `properties` + `required`, `items`, `additionalProperties`, `enum`, `const`,
 * `minimum`, `title`, `description`; a nullable field may be absent and reads as null. Validation reports the first problem with the path of the
 * field (`runs[2].latencyMs.p90`).
 * @module
 */

/** A JSON type name. */
export type JsonTypeName = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** One schema node of the subset. */
export interface JsonSchema {
  readonly title?: string;
  readonly description?: string;
  readonly $comment?: string;
  readonly type: JsonTypeName | readonly JsonTypeName[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly additionalProperties?: JsonSchema;
  readonly enum?: readonly (string | number | null)[];
  readonly const?: string | number;
  readonly minimum?: number;
}

/** A JSON value. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

function typeOf(v: unknown): JsonTypeName | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isFinite(v) ? (Number.isInteger(v) ? 'integer' : 'number') : 'other';
  if (typeof v === 'string' || typeof v === 'boolean') return typeof v as 'string' | 'boolean';
  if (typeof v === 'object') return 'object';
  return 'other';
}

const types = (s: JsonSchema): readonly JsonTypeName[] => (typeof s.type === 'string' ? [s.type] : s.type);

/** The first way `value` breaks `schema`, as `path: problem`; undefined when it conforms. */
export function validateJson(value: unknown, schema: JsonSchema, path = '$'): string | undefined {
  const t = typeOf(value);
  const allowed = types(schema);
  const fits = allowed.includes(t as JsonTypeName) || (t === 'integer' && allowed.includes('number'));
  if (!fits) return `${path}: expected ${allowed.join(' or ')}, found ${t === 'other' ? String(value) : t === 'integer' ? 'number' : t}`;
  if (value === null) return undefined;
  if (schema.const !== undefined && value !== schema.const) return `${path}: expected ${JSON.stringify(schema.const)}, found ${JSON.stringify(value)}`;
  if (schema.enum && !schema.enum.includes(value as string)) return `${path}: expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, found ${JSON.stringify(value)}`;
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) return `${path}: expected >= ${schema.minimum}, found ${value}`;
  if (Array.isArray(value)) {
    if (!schema.items) return undefined;
    for (let i = 0; i < value.length; i++) {
      const p = validateJson(value[i], schema.items, `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    // A nullable field may be absent: Swift's JSONEncoder leaves nil out.
    for (const k of schema.required ?? []) if (!(k in obj) && !types(schema.properties?.[k] ?? schema).includes('null')) return `${path}.${k}: missing`;
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (!sub) return `${path}.${k}: unknown field`;
      const p = validateJson(v, sub, `${path}.${k}`);
      if (p) return p;
    }
  }
  return undefined;
}
