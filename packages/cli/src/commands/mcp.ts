import type { Command } from "commander";
import type { Run } from "../output.js";
import { withSyncedClient } from "../with-client.js";

/**
 * `volly mcp`: runs a Model Context Protocol server on stdin/stdout (MCP 2025-06-18, stdio
 * transport) as the profile's account — an agent's own account (`volly init --type agent`). The
 * profile is opened like every command's (`--profile`, `--pin` / VOLLY_PIN), connected and synced
 * first; then the tools list_conversations, read_messages, search_messages and send_message serve
 * until stdin closes or SIGINT/SIGTERM. Stdout carries only MCP messages; notes go to stderr.
 * Errors before serving (locked profile, server unreachable) exit like any command's.
 */
export function registerMcp(program: Command, run: Run) {
  program
    .command("mcp")
    .description(
      "serve this account to an AI agent as a Model Context Protocol server on stdio (tools: " +
        "list_conversations, read_messages, search_messages, send_message)",
    )
    .action(() =>
      run(async (_out, g) => {
        // Loaded here, not at start-up: every other command would pay for the MCP SDK.
        const { serveMcpOverStdio } = await import("../mcp/stdio.js");
        await withSyncedClient(g, (client) => serveMcpOverStdio(client));
      }),
    );
}
