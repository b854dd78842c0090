import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { VollyClient } from "@volly/client";
import { createMcpServer } from "./server.js";
import { MCP_TOOLS } from "./tools/index.js";

/** Writes one line to stderr: the only place `volly mcp` may talk, stdout being the protocol's. */
function logLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Serves {@link MCP_TOOLS} over this process's stdin/stdout (MCP stdio transport: newline-delimited
 * JSON-RPC) for `client`, and resolves once the session is over: stdin ended (the host closed it;
 * the tool calls still running finish and are answered first), the transport closed, or
 * SIGINT/SIGTERM arrived. The caller then closes the client.
 *
 * @param client the agent's client, authenticated and connected
 */
export async function serveMcpOverStdio(client: VollyClient): Promise<void> {
  const { server, drain } = createMcpServer(client, MCP_TOOLS, logLine);
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  server.onerror = (err) => logLine(`volly mcp: ${err.message}`);
  const stop = () => void server.close();
  const finish = () => void drain().then(stop);
  process.stdin.once("end", finish);
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await server.connect(new StdioServerTransport());
    logLine(`volly mcp: serving ${MCP_TOOLS.length} tools on stdio`);
    await closed;
  } finally {
    process.stdin.off("end", finish);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
