import type { TObject } from "@sinclair/typebox";

/** A JSON Schema object as MCP's `inputSchema` / `outputSchema` carry it. */
export type McpJsonSchema = { type: "object"; [key: string]: unknown };

/**
 * A TypeBox object schema as plain JSON Schema for an MCP tool listing: TypeBox's symbols dropped
 * (JSON round trip) and every `$id` removed, because MCP clients compile each tool's schema into one
 * shared validator (the SDK's Ajv) where the same `$id` (e.g. "MessageEvent") in two tools' schemas
 * is refused as a duplicate.
 */
export function toMcpJsonSchema(schema: TObject): McpJsonSchema {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === "$id" ? undefined : value));
}
