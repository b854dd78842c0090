import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ReadResourceResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { VollyClient } from "@volly/client";
import { ID_PATTERN, VollyError } from "@volly/protocol";
import { memberConversationSummaries } from "./member-conversations.js";
import { recentMemberMessages } from "./recent-messages.js";

/** How many messages a conversation's resource holds: its newest ones. */
const RESOURCE_MESSAGES = 50;
/** The URI template of a conversation's recent messages (RFC 6570 level 1). */
const TEMPLATE = "volly://conversations/{conversationId}/messages";
/** A URI of that template. */
const URI = new RegExp(`^volly://conversations/(${ID_PATTERN.replace(/^\^|\$$/g, "")})/messages$`);

/** MCP's "Resource not found" error code (MCP 2025-06-18 "Resources" § Error Handling). */
const RESOURCE_NOT_FOUND = -32002;

/** The errors that mean "not a conversation of this agent". */
const NOT_MEMBER = new Set(["VOLLY_E_UNKNOWN_CONVERSATION", "VOLLY_E_NOT_GROUP_MEMBER"]);

/** The URI of a conversation's recent messages. */
function uriOf(conversationId: string): string {
  return `volly://conversations/${conversationId}/messages`;
}

/**
 * Offers each conversation this account is a member of as an MCP resource (MCP 2025-06-18
 * "Resources"): `volly://conversations/{id}/messages`, JSON `{messages: [MessageEvent]}` of its
 * newest 50 text messages, oldest first. Reading one does not mark it read (the read_messages tool
 * does). A URI of another form is InvalidParams; a conversation the agent is not a member of is
 * "Resource not found" (-32002) with the reason.
 *
 * @param server a server whose capabilities include `resources`
 * @param client the agent's client, authenticated and connected
 */
export function registerConversationResources(server: Server, client: VollyClient): void {
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: (await memberConversationSummaries(client)).map((c) => ({
      uri: uriOf(c.id),
      name: c.name,
      title: `${c.name}: recent messages`,
      description: `The newest ${RESOURCE_MESSAGES} messages of the ${c.kind} conversation "${c.name}" (${c.unread} unread).`,
      mimeType: "application/json",
    })),
  }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, () => ({
    resourceTemplates: [
      {
        uriTemplate: TEMPLATE,
        name: "conversation-messages",
        title: "Recent messages of a conversation",
        description: `The newest ${RESOURCE_MESSAGES} messages of a conversation this agent is a member of.`,
        mimeType: "application/json",
      },
    ],
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request): Promise<ReadResourceResult> => {
    const { uri } = request.params;
    const id = URI.exec(uri)?.[1];
    if (!id) throw new McpError(ErrorCode.InvalidParams, `Not a Volly resource URI (${TEMPLATE}): ${uri}`);
    try {
      const messages = await recentMemberMessages(client, id, RESOURCE_MESSAGES);
      return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify({ messages }) }] };
    } catch (err) {
      if (err instanceof VollyError && NOT_MEMBER.has(err.code)) {
        throw new McpError(RESOURCE_NOT_FOUND, `${err.code}: ${err.message}`, { uri });
      }
      throw err;
    }
  });
}
