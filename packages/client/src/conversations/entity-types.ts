import type { EntityType } from "@volly/protocol";
import type { ConversationMember, ConversationRecord } from "./conversation-records.js";

/** Who to find among a conversation's members: by account id when given, else by handle. */
export interface MemberMatch {
  /** The account's id (a message's `fromAccountId`). */
  accountId?: string | undefined;
  /** The account's handle without `@` (a message's `from`), used when `accountId` is absent. */
  handle?: string | undefined;
}

/**
 * A conversation's entry for an account: a member, or a former member (so the senders of old
 * messages stay known). No look-up: members are kept in the conversation record.
 *
 * @param conversation a conversation record (only `members` and `formerMembers` are read)
 * @returns the entry, or undefined when the account is not (and was not) a member
 */
export function memberIn(
  conversation: Pick<ConversationRecord, "members" | "formerMembers">,
  match: MemberMatch,
): ConversationMember | undefined {
  const known = [...(conversation.members ?? []), ...(conversation.formerMembers ?? [])];
  return known.find((m) =>
    match.accountId !== undefined ? m.accountId === match.accountId : m.handle === match.handle,
  );
}

/**
 * What an account of a conversation is (human, bot, agent, service, device), as the directory said
 * when it became a member (`ConversationMember.entityType`). "human" when the account is not known
 * here or was recorded without a type (before the SDK kept it). Never throws, no look-up.
 */
export function entityTypeOf(
  conversation: Pick<ConversationRecord, "members" | "formerMembers">,
  match: MemberMatch,
): EntityType {
  return memberIn(conversation, match)?.entityType ?? "human";
}
