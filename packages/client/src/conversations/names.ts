import { type AccountEntry, VollyError } from "@volly/protocol";
import type { ConversationMember, ConversationRecord } from "./conversation-records.js";

/** Longest group name (characters), as GroupMetaContent allows. */
export const MAX_GROUP_NAME_CHARS = 64;

/** A directory entry as a conversation member (account id, handle, display name, entity type). */
export function memberOf(account: AccountEntry): ConversationMember {
  return {
    accountId: account.accountId,
    handle: account.handle,
    ...(account.displayName !== undefined ? { displayName: account.displayName } : {}),
    entityType: account.entityType,
  };
}

/** What the UI calls a member: the display name when known, else the handle. */
export function nameOf(member: ConversationMember): string {
  return member.displayName ?? member.handle;
}

/** The title of a group joined without a name yet: up to three member names, then "+N". */
export function defaultTitle(members: ConversationMember[]): string {
  if (members.length === 0) return "group";
  const names = members.slice(0, 3).map(nameOf).join(", ");
  return members.length > 3 ? `${names} +${members.length - 3}` : names;
}

/** A trimmed group name; throws VOLLY_E_USAGE when it is empty or over MAX_GROUP_NAME_CHARS. */
export function validName(name: string): string {
  const title = typeof name === "string" ? name.trim() : "";
  if (title.length === 0 || title.length > MAX_GROUP_NAME_CHARS) {
    throw new VollyError("VOLLY_E_USAGE", `A group name is 1–${MAX_GROUP_NAME_CHARS} characters.`);
  }
  return title;
}

/**
 * Former members after a membership change: `previous` members and `former` ones that are not
 * among `members` now (the latest entry of each account wins), in handle order.
 */
export function formerMembersAfter(
  previous: readonly ConversationMember[],
  former: readonly ConversationMember[],
  members: readonly ConversationMember[],
): ConversationMember[] {
  const current = new Set(members.map((m) => m.accountId));
  const out = new Map<string, ConversationMember>();
  for (const m of [...former, ...previous]) if (!current.has(m.accountId)) out.set(m.accountId, m);
  return [...out.values()].sort((a, b) => a.handle.localeCompare(b.handle));
}

/**
 * A conversation with new members: accounts no longer among them move to `formerMembers` (so their
 * names stay known), accounts back among them leave it; a direct conversation takes its one peer's
 * name as title.
 */
export function withMembers(conv: ConversationRecord, members: ConversationMember[]): ConversationRecord {
  const formerMembers = formerMembersAfter(conv.members ?? [], conv.formerMembers ?? [], members);
  const updated: ConversationRecord = { ...conv, members };
  if (formerMembers.length > 0) updated.formerMembers = formerMembers;
  else delete updated.formerMembers;
  const peer = members[0];
  if (conv.kind === "direct" && peer && members.length === 1) updated.title = nameOf(peer);
  return updated;
}
