import type { TSchema } from "@volly/protocol";
import fc from "fast-check";

/** A JSON Schema as TypeBox builds it (the keywords the protocol's schemas use). */
interface Schema {
  type?: string;
  const?: unknown;
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

/**
 * Values shaped like `schema` (a TypeBox schema of the protocol): objects with their required and
 * some optional properties, strings matching their pattern, integers in range, short arrays. Ids
 * are drawn from `known` half of the time, so shaped requests reach the services with ids that
 * exist (`known.Id`, matched by the schema's pattern).
 *
 * @param known values to mix in for string schemas, keyed by pattern
 */
export function shaped(schema: TSchema, known: Map<string, string[]> = new Map()): fc.Arbitrary<unknown> {
  return arbitraryOf(schema as Schema, known);
}

function arbitraryOf(schema: Schema, known: Map<string, string[]>): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => arbitraryOf(s, known)));
  switch (schema.type) {
    case "object": {
      const properties = schema.properties ?? {};
      if (Object.keys(properties).length === 0)
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue());
      const model = Object.fromEntries(
        Object.entries(properties).map(([k, s]) => [k, arbitraryOf(s, known)]),
      );
      return fc.record(model, { requiredKeys: schema.required ?? [] });
    }
    case "array": {
      const item = schema.items ? arbitraryOf(schema.items, known) : fc.jsonValue();
      const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) };
      return schema.uniqueItems
        ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(item, constraints);
    }
    case "string": {
      const pattern = schema.pattern;
      const min = schema.minLength ?? 0;
      const max = Math.min(schema.maxLength ?? 64, 2_000);
      const generated = pattern
        ? fc
            .stringMatching(new RegExp(pattern))
            .filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity))
        : fc.string({ minLength: min, maxLength: Math.max(min, max), unit: "grapheme" });
      const ids = pattern ? known.get(pattern) : undefined;
      return ids?.length ? fc.oneof(fc.constantFrom(...ids), generated) : generated;
    }
    case "integer":
      return fc.integer({ min: schema.minimum ?? -1_000, max: schema.maximum ?? 1_000_000 });
    case "number":
      return fc.double({ noNaN: true, min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return fc.jsonValue();
  }
}

/** JSON text of arrays (or objects) nested `depth` deep, optionally inside `{"key": …}`. */
export function deeplyNested(depth: number, key?: string): string {
  const nest = `${"[".repeat(depth)}${"]".repeat(depth)}`;
  return key === undefined ? nest : `{${JSON.stringify(key)}:${nest}}`;
}

/**
 * JSON text of a shaped object with one property replaced by arrays nested 20–100,000 deep: deep
 * input where the schema expects a list or a string, which validators recurse into.
 */
export function withDeepNesting(value: unknown): fc.Arbitrary<string> {
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    Object.keys(value).length === 0
  ) {
    return fc.integer({ min: 20, max: 100_000 }).map((depth) => deeplyNested(depth));
  }
  return fc
    .tuple(fc.constantFrom(...Object.keys(value)), fc.integer({ min: 20, max: 100_000 }))
    .map(([key, depth]) =>
      JSON.stringify({ ...(value as Record<string, unknown>), [key]: "__DEEP__" }).replace(
        '"__DEEP__"',
        deeplyNested(depth),
      ),
    );
}

/** Replaces one property of a shaped object with a value of another type (or removes it). */
export function withWrongType(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fc.jsonValue();
  const keys = Object.keys(value);
  if (keys.length === 0) return fc.constant({ unexpected: 1 });
  return fc
    .tuple(
      fc.constantFrom(...keys),
      fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.string({ unit: "grapheme" }),
        fc.array(fc.jsonValue(), { maxLength: 3 }),
        fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
      ),
    )
    .map(([key, replacement]) => ({ ...(value as Record<string, unknown>), [key]: replacement }));
}

/**
 * Bodies that are not what any schema wants, as raw text: any JSON value, deep nesting (up to
 * 100,000 levels), huge strings (up to 2 MB), invalid JSON, unicode, lone surrogates, NUL bytes,
 * prototype-poisoning keys.
 */
export const garbageBody: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"),
  fc.integer({ min: 20, max: 100_000 }).map((depth) => deeplyNested(depth, "deviceIds")),
  fc
    .integer({ min: 20, max: 100_000 })
    .map((depth) => deeplyNested(depth).replaceAll("[", '{"a":').replaceAll("]", "}")),
  fc
    .integer({ min: 1, max: 2_000_000 })
    .map((n) => JSON.stringify({ ciphertext: "A".repeat(n), messageId: "x".repeat(n % 100) })),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 200 }).map((s) => `{"handle":${JSON.stringify(s)}}`),
  fc.constantFrom(
    "",
    "{",
    "}",
    "[]",
    "null",
    "\u0000",
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '{"handle":"\\ud800"}',
    '{"a":1,"a":2}',
    "1e999999",
    '"\\u0000"',
  ),
);

/** Path segments a router must survive: unicode, bad percent-encoding, traversal, NUL, very long. */
export const garbageSegment: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom(
    "%",
    "%E0%A4%A",
    "%ZZ",
    "%00",
    "%C0%AF",
    "%FF%FE",
    "..",
    "%2e%2e",
    "%2F..%2F",
    "a%20b",
    "%F0%9F%98%80",
    "null",
    "undefined",
    "__proto__",
  ),
  fc.integer({ min: 100, max: 3_000 }).map((n) => "a".repeat(n)),
);
