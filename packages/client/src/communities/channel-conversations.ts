import {
  createGroup,
  type ExternalRejoinResult,
  generateKeyPackage,
  groupEpoch,
  groupInfoForExternalJoin,
  joinExternally,
  type MlsGroup,
  publicGroupState,
} from "@volly/crypto";
import {
  type CommunityChannel,
  type CommunityResponse,
  fromBase64Url,
  hasPermission,
  newId,
  parsePermissions,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationServices } from "../conversations/conversation-services.js";
import { rejoinByExternalCommit } from "../conversations/resync.js";

/** How many times an external join is rebuilt after VOLLY_E_STALE_EPOCH before giving up. */
export const MAX_JOIN_ATTEMPTS = 5;

/** The title of a channel's conversation: `#name`. */
export function channelTitle(channel: Pick<CommunityChannel, "name">): string {
  return `#${channel.name}`;
}

/** Whether a channel carries messages (text or announcement), i.e. has an MLS group. */
export function carriesMessages(channel: CommunityChannel): boolean {
  return channel.type !== "category";
}

/**
 * A community's channels as conversations of this device (DESIGN.md "Communities, on MLS": one MLS
 * group per channel, VIEW_CHANNEL = membership). {@link reconcile} brings them in line with a
 * community as the server shows it to this account:
 * - a channel without a group, where this account may send: this device creates the group
 *   (`POST /v1/groups` with `channelId`); when another device won the race (VOLLY_E_GROUP_EXISTS)
 *   it joins the winner's group instead;
 * - a channel with a group this device is not in (never joined, or left after losing access):
 *   it joins by external commit (RFC 9420 §12.4.3.2), from the GroupInfo the server serves to
 *   devices whose account may view the channel — nobody else needs to be online;
 * - a channel conversation whose channel is not visible any more (role or overwrite changed,
 *   kicked, banned, left, channel or community deleted): marked left (the server already ended
 *   the device's membership; the other members commit its Remove).
 * Every change of one conversation runs in its queue, like every other group change.
 */
export class ChannelConversations {
  constructor(private readonly s: ConversationServices) {}

  /** The stored channel conversations (left ones included). */
  async list(): Promise<ConversationRecord[]> {
    const rows = await this.s.ctx.stores.conversations.list();
    return rows.map(([, c]) => c).filter((c) => c.kind === "channel");
  }

  /**
   * Reconciles the channel conversations of one community with `community` (as this account sees
   * it now), or — with `community` undefined — marks every channel conversation of `communityId`
   * left (this account is no longer a member). Failures of one channel are reported to diagnostics
   * ("communities.channel") and do not stop the others.
   *
   * @returns false when some channel could not be brought in line (worth trying again later)
   * @param reread reads the community again (after a lost creation race)
   */
  async reconcile(
    communityId: string,
    community: CommunityResponse | undefined,
    reread: () => Promise<CommunityResponse>,
  ): Promise<boolean> {
    const visible = new Map(
      (community?.channels ?? []).filter(carriesMessages).map((c) => [c.channelId, c] as const),
    );
    for (const conv of await this.list()) {
      if (conv.communityId !== communityId || conv.left) continue;
      const channel = conv.channelId ? visible.get(conv.channelId) : undefined;
      if (!channel || (channel.groupId !== undefined && channel.groupId !== conv.id)) {
        await this.s.state.markLeft(conv.id, { end: { reason: "removed", at: Date.now() } });
      }
    }
    let complete = true;
    for (const channel of visible.values()) {
      await this.ensure(communityId, channel, reread).catch((err: unknown) => {
        complete = false;
        this.s.ctx.diagnostics.report("communities.channel", err);
      });
    }
    return complete;
  }

  /**
   * Makes sure this device is in a visible channel's group when it can be: creates the group or
   * joins it (see the class). Returns the conversation, or undefined when the channel has no group
   * and this account may not send there (nothing to create).
   *
   * @throws VollyError VOLLY_E_STALE_EPOCH (kept losing the join), VOLLY_E_DECRYPT_FAILED (an unusable
   *   GroupInfo), VOLLY_E_SERVER_UNREACHABLE, and the server's refusals
   */
  async ensure(
    communityId: string,
    channel: CommunityChannel,
    reread: () => Promise<CommunityResponse>,
  ): Promise<ConversationRecord | undefined> {
    let groupId = channel.groupId;
    if (groupId === undefined) {
      if (!hasPermission(parsePermissions(channel.myPermissions), "SEND_MESSAGES")) return undefined;
      try {
        return await this.create(communityId, channel);
      } catch (err) {
        if (!(err instanceof VollyError && err.code === "VOLLY_E_GROUP_EXISTS")) throw err;
        const fresh = (await reread()).channels.find((c) => c.channelId === channel.channelId);
        groupId = fresh?.groupId;
        if (groupId === undefined) throw err;
      }
    }
    const id = groupId;
    return this.s.queue.run(id, async () => {
      const existing = await this.s.ctx.stores.conversations.get(id);
      if (existing && !existing.left) return this.alignLocked(existing, communityId, channel);
      const joined = await this.joinLocked(id, existing?.left === true);
      const conv: ConversationRecord = {
        ...this.record(communityId, channel, id, existing, groupEpoch(joined.newGroup), joined.seq),
        // Where this device's history starts: a member device shares what the policy allows.
        historyStart: { policy: channel.historyPolicy, joinedAt: Date.now() },
      };
      return (await this.s.commits.applyIncomingLocked(conv, joined.newGroup)).conv;
    });
  }

  /** Creates the channel's MLS group with this device as its only member (RFC 9420 §11). */
  private async create(communityId: string, channel: CommunityChannel): Promise<ConversationRecord> {
    const { ctx } = this.s;
    const id = newId();
    const own = await generateKeyPackage(ctx.suite, ctx.identity, {
      accountId: ctx.profile.accountId,
      deviceId: ctx.profile.deviceId,
    });
    const group = await createGroup(ctx.suite, id, own);
    const initial = await publicGroupState(ctx.suite, group);
    await ctx.api.call("createGroup", {
      body: {
        groupId: id,
        groupInfo: toBase64Url(initial.groupInfo),
        ratchetTree: toBase64Url(initial.ratchetTree),
        channelId: channel.channelId,
      },
    });
    const conv = this.record(communityId, channel, id, undefined, 0);
    return this.s.queue.run(id, async () => {
      const { stores } = ctx;
      await stores.conversations.save(stores.groupStates.put(stores.batch(), id, group), conv).commit();
      this.s.state.changes.emit(conv);
      return conv;
    });
  }

  /**
   * Joins the channel's group by external commit (inside its queue), trying again on
   * VOLLY_E_STALE_EPOCH. When this device has a leaf in the group already (a join the server
   * accepted but this device never stored) it rejoins in place of that leaf instead (`resync.ts`) —
   * unless this device left the group (`wasLeft`: the server ended its membership, and the members
   * have not committed the Remove of its old leaf yet). The delivery service takes a rejoin as a
   * resync that does not renew an ended membership, so the device would hold a leaf and get nothing:
   * it waits instead (VOLLY_E_STALE_EPOCH, retried by the next reconciliation).
   */
  private async joinLocked(groupId: string, wasLeft: boolean): Promise<{ newGroup: MlsGroup; seq: number }> {
    const { ctx } = this.s;
    for (let attempt = 1; ; attempt++) {
      const params = { groupId };
      const info = await ctx.api.call("getGroupInfo", { params });
      const credential = { accountId: ctx.profile.accountId, deviceId: ctx.profile.deviceId };
      let join: ExternalRejoinResult;
      try {
        join = await joinExternally(
          ctx.suite,
          fromBase64Url(info.groupInfo),
          fromBase64Url(info.ratchetTree),
          ctx.identity,
          credential,
        );
      } catch (err) {
        // joinExternally refuses a tree that holds this device's leaf already: replace that leaf
        if (!(err instanceof VollyError && err.code === "VOLLY_E_DECRYPT_FAILED")) throw err;
        if (wasLeft) {
          throw new VollyError(
            "VOLLY_E_STALE_EPOCH",
            "This device's old leaf is still in the channel's group; joining again once a member removed it.",
            { groupId },
          );
        }
        return rejoinByExternalCommit(ctx, groupId);
      }
      try {
        const accepted = await ctx.api.call("commit", {
          params,
          body: {
            epoch: join.epoch,
            commit: toBase64Url(join.commit),
            addDeviceIds: [ctx.profile.deviceId],
            removeDeviceIds: [],
            welcomes: [],
            ratchetTree: toBase64Url(join.ratchetTree),
            groupInfo: toBase64Url(await groupInfoForExternalJoin(ctx.suite, join.newGroup)),
          },
        });
        return { newGroup: join.newGroup, seq: accepted.seq };
      } catch (err) {
        const stale = err instanceof VollyError && err.code === "VOLLY_E_STALE_EPOCH";
        if (!stale || attempt >= MAX_JOIN_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Keeps a channel conversation in line with its channel: kind "channel", its community and channel
   * ids, and the title `#name` (a conversation joined by a Welcome — an older client adding a linked
   * device — starts out as a plain group).
   */
  private async alignLocked(
    conv: ConversationRecord,
    communityId: string,
    channel: CommunityChannel,
  ): Promise<ConversationRecord> {
    const title = channelTitle(channel);
    if (
      conv.kind === "channel" &&
      conv.title === title &&
      conv.communityId === communityId &&
      conv.channelId === channel.channelId
    ) {
      return conv;
    }
    const { stores } = this.s.ctx;
    const { groupName: _name, peerHandle: _peer, joinedBy: _by, ...rest } = conv;
    const updated: ConversationRecord = {
      ...rest,
      kind: "channel",
      title,
      communityId,
      channelId: channel.channelId,
    };
    await stores.conversations.save(stores.batch(), updated).commit();
    this.s.state.changes.emit(updated);
    return updated;
  }

  private record(
    communityId: string,
    channel: CommunityChannel,
    id: string,
    existing: ConversationRecord | undefined,
    joinedEpoch: number,
    seq = 0,
  ): ConversationRecord {
    const {
      left: _left,
      membershipEnd: _end,
      ...kept
    } = existing ?? {
      createdAt: Date.now(),
      members: [],
    };
    return {
      ...kept,
      id,
      kind: "channel",
      title: channelTitle(channel),
      communityId,
      channelId: channel.channelId,
      lastSeq: Math.max(seq, existing?.lastSeq ?? 0),
      joinedEpoch,
    };
  }
}
