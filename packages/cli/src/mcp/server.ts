import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  type ListToolsResult,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import type { VollyClient } from "@volly/client";
import { VOLLY_VERSION } from "@volly/protocol";
import { toMcpJsonSchema } from "./json-schema.js";
import { registerConversationResources } from "./resources.js";
import type { McpTool } from "./tool.js";
import { toolError, toolResult } from "./tool-results.js";

/** What the server tells the MCP host about itself when a session starts (`instructions`). */
const INSTRUCTIONS =
  "Volly is an end-to-end encrypted messenger. These tools act as this agent's own Volly account: " +
  "they see only the conversations it was invited to, decrypt on this machine, and send as the agent. " +
  "Start with list_conversations; use its ids with read_messages, search_messages and send_message.";

/** The MCP server of `volly mcp` and a way to let its tool calls finish before closing it. */
export interface VollyMcpServer {
  /** The SDK server, to connect to a transport. */
  readonly server: Server;
  /**
   * Resolves once no tool call is running any more (and their answers were handed to the
   * transport): what a host that closes stdin right after its last request still gets answered.
   */
  drain(): Promise<void>;
}

/**
 * Creates the MCP server of `volly mcp` (MCP 2025-06-18: lifecycle, "Tools" with `outputSchema` and
 * `structuredContent`, and each member conversation's recent messages as a resource, `resources.ts`)
 * over an open, connected client of the agent's profile. Not yet connected to a transport: call
 * `server.connect(new StdioServerTransport())`.
 *
 * It uses the SDK's low-level `Server` rather than `McpServer.registerTool`, which takes Zod
 * schemas: the tools' schemas are the TypeBox ones every machine-member surface shares
 * (`@volly/bot` events.ts), advertised as JSON Schema and checked with `@volly/protocol`'s `parse`.
 *
 * A tool that fails — arguments that do not match its schema, a conversation the agent is not a
 * member of, the server refusing — answers an `isError` result with `{error: {code, message}}`;
 * an unknown tool name is a JSON-RPC InvalidParams error (as the spec says). Nothing throws past it.
 *
 * @param client the agent's client, authenticated and connected (it stays open; the caller closes it)
 * @param tools the tools to offer (`MCP_TOOLS`)
 * @param log where to report unexpected failures (stderr: stdout is the protocol's)
 */
export function createMcpServer(
  client: VollyClient,
  tools: readonly McpTool[],
  log: (line: string) => void,
): VollyMcpServer {
  const server = new Server(
    { name: "volly", title: "Volly", version: VOLLY_VERSION },
    { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );
  const byName = new Map(tools.map((t) => [t.name, t]));
  const listing: ListToolsResult = {
    tools: tools.map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: toMcpJsonSchema(t.input),
      outputSchema: toMcpJsonSchema(t.output),
      annotations: { title: t.title, readOnlyHint: t.readOnly, openWorldHint: false },
    })),
  };
  server.setRequestHandler(ListToolsRequestSchema, () => listing);
  registerConversationResources(server, client);
  const running = new Set<Promise<CallToolResult>>();
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    const tool = byName.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const call = callTool(tool, request.params.arguments, client, log);
    running.add(call);
    void call.finally(() => running.delete(call));
    return call;
  });
  return {
    server,
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running]);
      // The SDK sends a handler's answer a few promise turns after it settled.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** Runs one tool call; every failure becomes an `isError` result (logged on `log`), never a throw. */
async function callTool(
  tool: McpTool,
  args: unknown,
  client: VollyClient,
  log: (line: string) => void,
): Promise<CallToolResult> {
  try {
    return toolResult(await tool.call(args, client));
  } catch (err) {
    const result = toolError(err);
    const text = result.content[0]?.type === "text" ? result.content[0].text : "";
    log(`volly mcp: ${tool.name} failed: ${text}`);
    return result;
  }
}
