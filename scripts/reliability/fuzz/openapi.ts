// The operations of the server's OpenAPI document, as the fuzzer needs them: method, path
// pattern, the schemas of path parameters, querystring and JSON body, and whether a session
// is required. Only the subset of JSON Schema the server's TypeBox schemas produce.

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  const?: unknown;
  nullable?: boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
}

export interface Param {
  name: string;
  schema: Schema;
  required: boolean;
}

export interface Operation {
  method: string;
  /** The path pattern as the document writes it, e.g. /v1/records/{id}. */
  path: string;
  pathParams: Param[];
  query: Param[];
  /** The JSON body's schema, when the operation declares one. */
  body: Schema | undefined;
  bodyRequired: boolean;
  secured: boolean;
}

interface Document {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface RawOperation {
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema: Schema }> };
  security?: unknown[];
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** Inlines `#/components/schemas/…` references (the document has no recursive ones). */
function resolve(schema: Schema, doc: Document, depth = 0): Schema {
  if (depth > 32) throw new Error('schema nesting too deep');
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved reference ${schema.$ref}`);
    return resolve(target, doc, depth + 1);
  }
  const out: Schema = { ...schema };
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolve(v, doc, depth + 1)]));
  if (schema.items) out.items = resolve(schema.items, doc, depth + 1);
  if (schema.anyOf) out.anyOf = schema.anyOf.map((s) => resolve(s, doc, depth + 1));
  if (schema.oneOf) out.oneOf = schema.oneOf.map((s) => resolve(s, doc, depth + 1));
  return out;
}

export function operationsOf(doc: Document): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const params = (raw.parameters ?? []).map((p) => ({ in: p.in, name: p.name, required: p.required ?? false, schema: resolve(p.schema, doc) }));
      const json = raw.requestBody?.content?.['application/json'];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        query: params.filter((p) => p.in === 'querystring' || p.in === 'query'),
        body: json ? resolve(json.schema, doc) : undefined,
        bodyRequired: raw.requestBody?.required ?? false,
        secured: (raw.security?.length ?? 0) > 0,
      });
    }
  }
  return ops;
}

export const routeName = (op: Operation) => `${op.method} ${op.path}`;
