import type { EntityType } from "@volly/protocol";
import type { ConversationMember, ConversationRecord } from "../worker/rpc-types.js";

/** How much of a display name to show: all of it, or its first word (the sidebar's previews). */
export type NameStyle = "full" | "first";

/**
 * The conversation's entry for an account — a member or a former member (removed, or left), so
 * the names of people who are gone keep showing on their old messages and in the events about them.
 */
export function memberEntry(
  conversation: Pick<ConversationRecord, "members" | "formerMembers">,
  match: { accountId?: string | undefined; handle?: string },
): ConversationMember | undefined {
  const known = [...(conversation.members ?? []), ...(conversation.formerMembers ?? [])];
  return known.find((m) =>
    match.accountId !== undefined ? m.accountId === match.accountId : m.handle === match.handle,
  );
}

/** What the UI calls someone of this conversation, by handle: their display name, else the handle. */
export function nameInConversation(
  conversation: Pick<ConversationRecord, "members" | "formerMembers">,
  handle: string,
  style: NameStyle = "full",
): string {
  return styled(memberEntry(conversation, { handle })?.displayName, style) || handle;
}

/** A display name in a style ("" when there is none). */
export function styled(displayName: string | undefined, style: NameStyle): string {
  const name = displayName?.trim() ?? "";
  return style === "first" ? (name.split(/\s+/)[0] ?? "") : name;
}

/**
 * What someone of this conversation is (human, bot, agent, service, device), as their member entry
 * recorded it; undefined when not known (no badge: treated as a person).
 */
export function typeInConversation(
  conversation: Pick<ConversationRecord, "members" | "formerMembers">,
  match: { accountId?: string | undefined; handle?: string },
): EntityType | undefined {
  return memberEntry(conversation, match)?.entityType;
}
