import type { Static, TObject } from "@sinclair/typebox";
import type { VollyClient } from "@volly/client";
import { parse } from "@volly/protocol";

/**
 * One MCP tool of `volly mcp` (MCP 2025-06-18 "Tools"): its name, what a model reads about it, and
 * the JSON Schemas of its arguments and of its result (`inputSchema`, `outputSchema`; TypeBox
 * schemas, which are JSON Schema). A new tool is a new file in tools/ listed in tools/index.ts.
 */
export interface McpTool {
  /** The tool's name as clients call it (snake_case). */
  readonly name: string;
  /** A short human title. */
  readonly title: string;
  /** What the tool does, for the model. */
  readonly description: string;
  /** The arguments' schema (an object schema, no other properties allowed). */
  readonly input: TObject;
  /** The result's schema: what `structuredContent` holds. */
  readonly output: TObject;
  /** Whether it only reads (MCP's `readOnlyHint` annotation). */
  readonly readOnly: boolean;
  /**
   * Validates `args` against {@link McpTool.input}, runs the tool as this account, and checks the
   * result against {@link McpTool.output}.
   *
   * @throws VollyError VOLLY_E_BAD_REQUEST (args do not match the input schema; nothing was done),
   *   VOLLY_E_INTERNAL (the result does not match the output schema: a bug), and whatever the tool's
   *   `run` throws (VOLLY_E_UNKNOWN_CONVERSATION for a conversation the agent is not in, the SDK's
   *   and the server's errors)
   */
  call(args: unknown, client: VollyClient): Promise<Record<string, unknown>>;
}

/** What {@link defineTool} takes: a tool with typed arguments and result. */
export interface ToolSpec<I extends TObject, O extends TObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  readOnly: boolean;
  /** Runs with arguments that already match `input`. */
  run(args: Static<I>, client: VollyClient): Promise<Static<O>>;
}

/** Makes an {@link McpTool} whose `call` validates the arguments and the result around `spec.run`. */
export function defineTool<I extends TObject, O extends TObject>(spec: ToolSpec<I, O>): McpTool {
  const { run, ...described } = spec;
  return {
    ...described,
    async call(args, client) {
      const valid = parse(spec.input, args ?? {}, "VOLLY_E_BAD_REQUEST");
      return parse(spec.output, await run(valid, client), "VOLLY_E_INTERNAL") as Record<string, unknown>;
    },
  };
}
