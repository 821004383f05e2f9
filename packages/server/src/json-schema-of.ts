import type { StandardSchemaV1 } from '@duplex/core';

/** A JSON Schema object (draft-07, which AsyncAPI 3's default schema format extends). */
export type JsonSchema = { [key: string]: unknown };

/** What {@link jsonSchemaOf} found for one procedure schema. */
export interface ConvertedSchema {
  /** The schema, with `$ref`s into `definitions` rewritten to `#/components/schemas/<prefix>.<name>`. */
  schema: JsonSchema;
  /** Shared or recursive parts the schema refers to, keyed for `components.schemas`. */
  definitions: Record<string, JsonSchema>;
  /** True when the schema could not be converted and `schema` only describes why. */
  unconverted: boolean;
}

/**
 * The `~standard.jsonSchema` converter of the Standard JSON Schema spec (https://standardschema.dev),
 * which zod 4 (since 4.2), ArkType and Valibot (through an adapter) implement.
 */
interface JsonSchemaConverter {
  input(options: { target: string; libraryOptions?: Record<string, unknown> }): Record<string, unknown>;
  output(options: { target: string; libraryOptions?: Record<string, unknown> }): Record<string, unknown>;
}

function converterOf(schema: StandardSchemaV1): JsonSchemaConverter | undefined {
  const props = schema['~standard'] as StandardSchemaV1.Props & { jsonSchema?: Partial<JsonSchemaConverter> };
  const converter = props.jsonSchema;
  return typeof converter?.input === 'function' && typeof converter.output === 'function' ? (converter as JsonSchemaConverter) : undefined;
}

/** `value` as a key AsyncAPI accepts in `components` (`^[a-zA-Z0-9.\-_]+$`). */
export function componentKey(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_');
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * A copy of `value` with every local `$ref` pointing at `components.schemas`: `#/definitions/x`
 * and `#/$defs/x` at `<prefix>.x`, and `#` (the schema's own root, for a recursive schema) at
 * `<prefix>` itself, noted in `state` so the root is stored there too.
 */
function rewriteRefs(value: unknown, prefix: string, state: { selfRef: boolean }): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, prefix, state));
  if (!isObject(value)) return value;
  const out: JsonSchema = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string') {
      const local = /^#\/(?:definitions|\$defs)\/(.+)$/.exec(item);
      if (item === '#') {
        state.selfRef = true;
        out[key] = `#/components/schemas/${prefix}`;
      } else out[key] = local ? `#/components/schemas/${prefix}.${componentKey(unescapePointer(local[1] ?? ''))}` : item;
    } else out[key] = rewriteRefs(item, prefix, state);
  }
  return out;
}

function note(text: string): ConvertedSchema {
  return { schema: { description: text }, definitions: {}, unconverted: true };
}

/**
 * The JSON Schema of a procedure's input or output schema, from its Standard JSON Schema
 * converter (draft-07). A schema without one (a Standard Schema library that offers no JSON
 * Schema) or one the library cannot convert gives `{ description }` (any value) with the reason,
 * so one odd schema never breaks the whole document. Parts zod cannot represent (`Date`, `Map`,
 * transforms) become `{}` rather than failing the whole schema.
 */
export function jsonSchemaOf(schema: StandardSchemaV1, io: 'input' | 'output', prefix: string): ConvertedSchema {
  const vendor = schema['~standard'].vendor;
  const converter = converterOf(schema);
  if (!converter) return note(`Not converted: this ${vendor} schema has no Standard JSON Schema converter (~standard.jsonSchema).`);
  try {
    const raw = converter[io]({ target: 'draft-07', libraryOptions: { unrepresentable: 'any' } });
    const { $schema: _dialect, definitions, $defs, ...rest } = raw;
    const found = { ...(isObject(definitions) ? definitions : {}), ...(isObject($defs) ? $defs : {}) };
    const out: Record<string, JsonSchema> = {};
    const state = { selfRef: false };
    for (const [name, definition] of Object.entries(found)) out[`${prefix}.${componentKey(name)}`] = rewriteRefs(definition, prefix, state) as JsonSchema;
    const root = rewriteRefs(rest, prefix, state) as JsonSchema;
    if (!state.selfRef) return { schema: root, definitions: out, unconverted: false };
    // Embedded in the document, `#` would mean the document's root: the schema moves to components.
    out[prefix] = root;
    return { schema: { $ref: `#/components/schemas/${prefix}` }, definitions: out, unconverted: false };
  } catch (error) {
    return note(`Not converted: ${vendor} could not express this schema in JSON Schema (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** True when the schema accepts a missing value (so the message's payload field may be absent). */
export function acceptsUndefined(schema: StandardSchemaV1 | undefined): boolean {
  if (!schema) return true;
  try {
    const result = schema['~standard'].validate(undefined);
    // An async validator cannot be asked synchronously: say "optional" rather than guess "required".
    if (!(result instanceof Promise)) return result.issues === undefined;
    result.catch(() => {});
    return true;
  } catch {
    return false;
  }
}
