import {
  type CommunityResponse,
  hasPermission,
  type MessageDeclaration,
  memberChannelPermissions,
  parsePermissions,
  type TextMentions,
} from "@volly/protocol";
import { ownServerNames } from "../account/server-name.js";
import type { CommunityReads } from "../communities/community-reads.js";
import type { ClientContext } from "../shared/client-context.js";
import {
  acceptedMentions,
  deriveMentions,
  HERE_WINDOW_MS,
  handleMentions,
  type MentionTarget,
  mentionsAsSeenBy,
  mentionsMeOf,
  needsMentionEveryone,
} from "./mentions.js";
import type { MessageRecord } from "./message-records.js";

/** What a sent text carries about mentions: the content's field and the declarations for the server. */
export interface OutgoingMentions {
  mentions?: TextMentions;
  declares?: MessageDeclaration[];
}

/**
 * Mentions on both ends, with the community's role table as the server shows it (`CommunityReads`):
 * the sending device derives them from the text and declares "mention-everyone" when it carries
 * `@everyone`, `@here` or roles (the server refuses that without MENTION_EVERYONE); the receiving
 * device keeps `@everyone`/`@here`/role mentions only from a sender holding MENTION_EVERYONE in the
 * channel (Volly's roles have no "mentionable" flag, so a role mention needs that permission too),
 * and works out whether the message mentions this account (`mentionsMe`).
 */
export class MentionChecks {
  /**
   * @param ctx the open profile (this account's handle and id)
   * @param reads the client's shared community reads
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly reads: CommunityReads,
  ) {}

  /**
   * The mentions of a text about to be sent in a conversation (`channel`: its community and
   * channel ids, for a community channel). Role names are resolved to role ids only when this
   * account holds MENTION_EVERYONE there; if the community cannot be read, no role is mentioned.
   * A text without `@` costs no community read. `@user@<this server's name>` is carried as
   * `user`, as this account's server shows its own accounts.
   */
  async outgoing(
    text: string,
    channel: Pick<MessageRecord, "communityId" | "channelId">,
  ): Promise<OutgoingMentions> {
    const { communityId, channelId } = channel;
    const ownServers = ownServerNames(this.ctx.profile);
    let mentions = deriveMentions(text, undefined, ownServers);
    // Without an `@` there is nothing to resolve: no community read.
    if (communityId && channelId && text.includes("@")) {
      const derive = async (fresh: boolean) => {
        const community = await this.reads.read(communityId, fresh).catch(() => undefined);
        const mine = community?.channels.find((c) => c.channelId === channelId);
        const mayMentionRoles =
          mine !== undefined && hasPermission(parsePermissions(mine.myPermissions), "MENTION_EVERYONE");
        const roles = (community?.roles ?? []).filter((r) => r.roleId !== communityId);
        const known = new Set(["everyone", "here", ...(community?.members ?? []).map((m) => m.handle)]);
        const unknown = handleMentions(text, ownServers).some((token) => !known.has(token));
        return { mentions: deriveMentions(text, { roles, mayMentionRoles }, ownServers), unknown };
      };
      const reused = this.reads.cached(communityId);
      const first = await derive(false);
      mentions = first.mentions;
      // An `@Name` that is neither a member nor a role may be a role just created (or
      // MENTION_EVERYONE just granted): a reused read is confirmed by a fresh one.
      if (reused && !mentions?.roles && first.unknown) mentions = (await derive(true)).mentions;
    }
    return {
      ...(mentions ? { mentions } : {}),
      ...(needsMentionEveryone(mentions) ? { declares: ["mention-everyone" as const] } : {}),
    };
  }

  /**
   * The mentions a received text message keeps, and whether it mentions this account, for a
   * message of `record`'s conversation. In a community channel, a sender without MENTION_EVERYONE
   * (or a community that cannot be read now) loses `@everyone`, `@here` and role mentions.
   * Handles are kept as sent (as the sender's server shows those accounts); whether one is this
   * account's is judged as this client's server shows them ({@link mentionsAsSeenBy}): a bare
   * `@alice` from `bob@a.example` names `alice@a.example`, not this server's alice.
   *
   * @param mentions the content's mentions
   * @param record the message as stored (sender, channel, sentAt, receivedAt, direction)
   */
  async incoming(
    mentions: TextMentions | undefined,
    record: MessageRecord,
  ): Promise<Pick<MessageRecord, "mentions" | "mentionsMe">> {
    if (!mentions) return {};
    const { communityId, channelId } = record;
    if (communityId === undefined || channelId === undefined || !needsMentionEveryone(mentions)) {
      return this.judged(mentions, record, undefined, undefined);
    }
    // A "no" from a reused read is confirmed by a fresh one (a role may have just been granted).
    const reused = this.reads.cached(communityId);
    const outcome = this.judged(
      mentions,
      record,
      await this.reads.read(communityId).catch(() => undefined),
      channelId,
    );
    if (outcome.mentionsMe || !reused) return outcome;
    return this.judged(
      mentions,
      record,
      await this.reads.read(communityId, true).catch(() => undefined),
      channelId,
    );
  }

  /**
   * The mentions kept and `mentionsMe`, from `community` as read (undefined: outside a channel, or
   * it could not be read: then only handles count).
   */
  private judged(
    mentions: TextMentions,
    record: MessageRecord,
    community: CommunityResponse | undefined,
    channelId: string | undefined,
  ): Pick<MessageRecord, "mentions" | "mentionsMe"> {
    const me: MentionTarget = { handle: this.ctx.profile.handle };
    let privileged = false;
    if (community && channelId) {
      privileged = senderMayMentionEveryone(community, channelId, record.fromAccountId);
      const member = community.members.find((m) => m.accountId === this.ctx.profile.accountId);
      me.roleIds = member?.roleIds ?? [];
    }
    const kept = acceptedMentions(mentions, record.channelId !== undefined, privileged);
    const live = record.receivedAt - record.sentAt <= HERE_WINDOW_MS;
    // Handles as this client's server names those accounts (the sender's bare ones are its server's).
    const seen: TextMentions | undefined = kept && {
      ...kept,
      handles: mentionsAsSeenBy(kept.handles ?? [], record.from, ownServerNames(this.ctx.profile)),
    };
    const mentionsMe = record.direction === "in" && mentionsMeOf(seen, me, privileged, live);
    return { ...(kept ? { mentions: kept } : {}), ...(mentionsMe ? { mentionsMe } : {}) };
  }
}

/** Whether `accountId` holds MENTION_EVERYONE in channel `channelId` of `community`. */
function senderMayMentionEveryone(
  community: CommunityResponse | undefined,
  channelId: string,
  accountId: string | undefined,
): boolean {
  const channel = community?.channels.find((c) => c.channelId === channelId);
  if (!community || !channel || accountId === undefined) return false;
  return hasPermission(
    memberChannelPermissions(community, channel, accountId, Date.now()),
    "MENTION_EVERYONE",
  );
}
