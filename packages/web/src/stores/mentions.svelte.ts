/**
 * Mentions as the open conversation sees them: who the composer offers after `@` and which tokens
 * of a message are highlighted, from this account (`session`) and the open community
 * (`communities.current`: its members, roles and this account's permissions in the channel).
 */
import { ownServerNames } from "@volly/client/handles";
import { can } from "../lib/community.js";
import { type MentionCandidate, type MentionMark, mentionMarks } from "../lib/mentions.js";
import type { ConversationRecord, MessageRecord } from "../worker/rpc-types.js";
import { communities } from "./communities.svelte.js";
import { session } from "./session.svelte.js";

/** The open community when `communityId` is it (the channel's roles and members are known then). */
function communityOf(communityId: string | undefined) {
  const current = communities.current;
  return communityId !== undefined && current?.communityId === communityId ? current : undefined;
}

/**
 * Who the composer offers after `@` in a conversation: its other members (a channel: the
 * community's members), and in a channel where this account holds MENTION_EVERYONE its roles
 * (role mentions need it too), @everyone and @here.
 */
export function mentionCandidates(conversation: ConversationRecord): MentionCandidate[] {
  const me = session.me?.handle;
  const community = communityOf(conversation.communityId);
  const people = community?.members ?? conversation.members ?? [];
  const out: MentionCandidate[] = people
    .filter((m) => m.handle !== me)
    .map((m) => ({
      key: `member-${m.accountId}`,
      insert: m.handle,
      label: m.displayName ?? m.handle,
      detail: `@${m.handle}`,
      kind: "member" as const,
    }));
  const channel = community?.channels.find((c) => c.channelId === conversation.channelId);
  if (community && channel && can(channel.myPermissionNames, "MENTION_EVERYONE")) {
    out.push(
      {
        key: "everyone",
        insert: "everyone",
        label: "@everyone",
        detail: "everyone in this channel",
        kind: "everyone",
      },
      { key: "here", insert: "here", label: "@here", detail: "everyone online now", kind: "here" },
      ...community.roles
        .filter((r) => r.roleId !== community.communityId)
        .map((r) => ({
          key: `role-${r.roleId}`,
          insert: r.name,
          label: r.name,
          detail: "role",
          kind: "role" as const,
        })),
    );
  }
  return out;
}

/**
 * The `@` tokens of a message to highlight, "me" for those naming this account (its handles read
 * as sent by `message.from`'s server; see `mentionMarks`).
 */
export function mentionMarksOf(message: MessageRecord): Map<string, MentionMark> {
  const community = communityOf(message.communityId);
  const myRoleIds = community?.members.find((m) => m.accountId === session.me?.accountId)?.roleIds;
  const me = session.me;
  return mentionMarks(
    { mentions: message.mentions, mentionsMe: message.mentionsMe === true, from: message.from },
    { handle: me?.handle, roleIds: myRoleIds, servers: me ? ownServerNames(me) : [] },
    community?.roles ?? [],
  );
}
