import type { McpTool } from "../tool.js";
import { listConversations } from "./list-conversations.js";
import { readMessages } from "./read-messages.js";
import { searchMessages } from "./search-messages.js";
import { sendMessage } from "./send-message.js";

/** Every tool `volly mcp` offers, in the order clients list them. */
export const MCP_TOOLS: readonly McpTool[] = [listConversations, readMessages, searchMessages, sendMessage];
