import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { VollyError } from "@volly/protocol";

/**
 * A tool's successful result (MCP 2025-06-18 "Tools" § Structured Content): the JSON object as
 * `structuredContent` (it matches the tool's `outputSchema`) and, for clients that read only text,
 * the same JSON serialised in one text block.
 */
export function toolResult(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(data) }], structuredContent: data };
}

/**
 * A tool's failure as MCP reports tool execution errors (`isError: true`, not a JSON-RPC error), so
 * the model sees why and can correct itself: one text block `{"error":{"code":"VOLLY_E_…","message"}}`
 * (the same shape as `volly --json` errors). A non-Volly error becomes VOLLY_E_INTERNAL.
 */
export function toolError(err: unknown): CallToolResult {
  const e =
    err instanceof VollyError
      ? err
      : new VollyError("VOLLY_E_INTERNAL", err instanceof Error ? err.message : String(err));
  return { content: [{ type: "text", text: JSON.stringify({ error: e.toBody() }) }], isError: true };
}
