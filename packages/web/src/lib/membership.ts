import type {
  ConversationRecord,
  MembershipBody,
  MembershipChange,
  MembershipParty,
} from "../worker/rpc-types.js";
import { memberEntry, type NameStyle, styled } from "./names.js";

/** The names a sentence uses: the actor's (may start it), the subjects' as a list. */
interface SentenceNames {
  actor: string;
  subjects: string;
  body: MembershipBody;
}

/** The sentence of each kind of membership change (TypeScript refuses a change without one). */
const SENTENCES: { readonly [C in MembershipChange]: (n: SentenceNames) => string } = {
  added: ({ actor, subjects, body }) =>
    body.subjects.length === 1 && body.subjects[0]?.accountId === body.actor.accountId
      ? `${actor} joined`
      : `${actor} added ${subjects}`,
  removed: ({ actor, subjects }) => `${actor} removed ${subjects}`,
  left: ({ actor }) => `${actor} left`,
  renamed: ({ actor, body }) => `${actor} renamed the group to “${body.name ?? ""}”`,
  joined: ({ actor, subjects }) => `${actor} added ${subjects}`,
};

/**
 * A membership event as a sentence: "Alice Martin added Carol Díaz-O'Neil", "You left", "Alice
 * Martin added you", "Bob renamed the group to “Weekend trip”". People are named as the
 * conversation knows them (members and former members; the handle otherwise), `meAccountId` is
 * "You"/"you".
 */
export function membershipText(
  body: MembershipBody,
  conversation: Pick<ConversationRecord, "members" | "formerMembers">,
  meAccountId: string | undefined,
  style: NameStyle = "full",
): string {
  const name = (p: MembershipParty, start: boolean) => {
    if (p.accountId === meAccountId) return start ? "You" : "you";
    return styled(memberEntry(conversation, { accountId: p.accountId })?.displayName, style) || p.handle;
  };
  return SENTENCES[body.change]({
    actor: name(body.actor, true),
    subjects: listOf(body.subjects.map((s) => name(s, false))),
    body,
  });
}

/** "A", "A and B", "A, B and C". */
function listOf(names: string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * Why this device can no longer write in a conversation it left or was removed from: "You were
 * removed by Alice Martin", "You left", or "You are no longer a member" when it only knows that.
 */
export function membershipEndText(
  conversation: Pick<ConversationRecord, "membershipEnd" | "members" | "formerMembers">,
): string {
  const end = conversation.membershipEnd;
  if (end?.reason === "left") return "You left";
  if (end?.reason === "removed" && end.by) {
    const by = memberEntry(conversation, { accountId: end.by.accountId }) ?? end.by;
    return `You were removed by ${by.displayName || by.handle}`;
  }
  return "You are no longer a member";
}
