import { type Bot, ConversationSummary } from "@volly/bot";
import { VollyError } from "@volly/protocol";
import { defineRoute, type JsonRoute } from "../route-table.js";
import {
  AddMembersBody,
  ConversationParams,
  CreateGroupBody,
  MemberParams,
  MembershipResult,
} from "../schemas.js";

/** The member's summary of conversation `id` (as `GET /v1/conversations` lists it). */
async function summaryOf(bot: Bot, id: string): Promise<ConversationSummary> {
  const found = (await bot.conversations()).find((c) => c.id === id);
  if (!found) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION");
  return found;
}

/**
 * Group management: create with members, add members, remove one, leave (MLS commits made by the
 * member's own device: RFC 9420 §12.1.1 Add, §12.1.3 Remove).
 */
export function groupRoutes(bot: Bot): JsonRoute[] {
  const conversations = bot.client.conversations;
  return [
    defineRoute({
      method: "POST",
      path: "/v1/groups",
      operationId: "createGroup",
      summary: "Create a group with these members",
      tags: ["groups"],
      schemas: { body: CreateGroupBody, responses: { 201: ConversationSummary } },
      handler: async ({ body }) => {
        const record = await conversations.createGroup(body.name, body.members);
        return { status: 201, body: await summaryOf(bot, record.id) };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/conversations/{id}/members",
      operationId: "addMembers",
      summary: "Add people (all their devices) to a group",
      tags: ["groups"],
      schemas: { params: ConversationParams, body: AddMembersBody, responses: { 200: MembershipResult } },
      handler: async ({ params, body }) => {
        await conversations.addMembers(params.id, body.members);
        return { status: 200, body: { conversationId: params.id, added: body.members } };
      },
    }),
    defineRoute({
      method: "DELETE",
      path: "/v1/conversations/{id}/members/{handle}",
      operationId: "removeMember",
      summary: "Remove a person (all their devices) from a group",
      tags: ["groups"],
      schemas: { params: MemberParams, responses: { 200: MembershipResult } },
      handler: async ({ params }) => {
        await conversations.removeMember(params.id, params.handle);
        return { status: 200, body: { conversationId: params.id, removed: params.handle } };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/conversations/{id}/leave",
      operationId: "leaveConversation",
      summary: "Leave a group",
      tags: ["groups"],
      schemas: { params: ConversationParams, responses: { 200: MembershipResult } },
      handler: async ({ params }) => {
        await conversations.leave(params.id);
        return { status: 200, body: { conversationId: params.id, left: true } };
      },
    }),
  ];
}
