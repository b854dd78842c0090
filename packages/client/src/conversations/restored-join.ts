import { groupEpoch, groupInfoForExternalJoin, joinExternally } from "@volly/crypto";
import { fromBase64Url, toBase64Url, VollyError } from "@volly/protocol";
import { SELF_CONVERSATION_TITLE, selfConversationId } from "../account/account-sync/self-conversation.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { defaultTitle, nameOf } from "./names.js";

/**
 * What a conversation rejoined after restoring the account with its recovery key tells the user:
 * the new device holds none of the old keys, so nothing sent before it rejoined can be read again.
 */
export const RESTORE_NOTICE = "Restored with the recovery key: older messages cannot come back";

/** How many times a join is rebuilt after VOLLY_E_STALE_EPOCH before giving up. */
const MAX_JOIN_ATTEMPTS = 5;

/** A conversation to rejoin, as the restored account document lists it. */
export interface RestoredConversation {
  id: string;
  kind: "direct" | "group";
  peerHandle?: string;
  /** The synced name of a group. */
  title?: string;
  createdAt?: number;
}

/**
 * Joins, by an external commit that adds this device's new leaf (RFC 9420 §12.4.3.2), a conversation
 * the account was in before every device was lost; the server lets a restored device do so for
 * each group its revoked devices were in (`account-recovery.ts` on the server). Stores the record
 * (kind and peer from the account document; `joinedEpoch` the new epoch, `lastSeq` the join's seq,
 * `notice` {@link RESTORE_NOTICE}) and the group state, and emits `changes`. The account's own
 * sync conversation (id = account id) is recognised and kept hidden (`self`). Runs in the
 * conversation's queue. Does nothing for a conversation this device is already in.
 *
 * @throws VollyError VOLLY_E_NOT_GROUP_MEMBER (the server grants no join: the account was not in it
 *   at the restore), VOLLY_E_UNKNOWN_GROUP, VOLLY_E_STALE_EPOCH (kept losing), VOLLY_E_DECRYPT_FAILED
 *   (GroupInfo or tree unusable), VOLLY_E_SERVER_UNREACHABLE
 */
export function joinRestoredConversation(
  s: ConversationServices,
  entry: RestoredConversation,
): Promise<ConversationRecord> {
  const { ctx } = s;
  return s.queue.run(entry.id, async () => {
    const known = await ctx.stores.conversations.get(entry.id);
    if (known && !known.left) return known;
    const { newGroup, seq } = await join(s, entry.id);
    const members = await s.directory.membersOf(newGroup);
    const self = entry.id === selfConversationId(ctx.profile.accountId) && members.length === 0;
    // Without the backup's entry (kind "group", no name) a group of two accounts reads as direct, as a Welcome's does.
    const peer =
      entry.kind === "direct"
        ? members.find((m) => m.handle === entry.peerHandle)
        : entry.title === undefined && entry.peerHandle === undefined && members.length === 1
          ? members[0]
          : undefined;
    const now = Date.now();
    const conv: ConversationRecord = {
      id: entry.id,
      kind: self || !peer ? "group" : "direct",
      title: self
        ? SELF_CONVERSATION_TITLE
        : peer
          ? nameOf(peer)
          : (entry.title ??
            (members.length > 0 ? defaultTitle(members) : (entry.peerHandle ?? "conversation"))),
      createdAt: entry.createdAt ?? now,
      lastSeq: seq,
      joinedEpoch: groupEpoch(newGroup),
      members,
      ...(peer ? { peerHandle: peer.handle } : {}),
      ...(entry.title !== undefined && !peer && !self ? { groupName: entry.title } : {}),
      ...(self ? { self: true } : { notice: RESTORE_NOTICE, noticeAt: now }),
    };
    const batch = ctx.stores.conversations.save(
      ctx.stores.groupStates.put(ctx.stores.batch(), entry.id, newGroup),
      conv,
    );
    if (peer && !(await s.state.findDirect(peer.handle)))
      ctx.stores.directConversations.put(batch, peer.handle, entry.id);
    await batch.commit();
    s.state.changes.emit(conv);
    return conv;
  });
}

async function join(s: ConversationServices, groupId: string) {
  const { ctx } = s;
  const params = { groupId };
  for (let attempt = 1; ; attempt++) {
    const info = await ctx.api.call("getGroupInfo", { params });
    const joined = await joinExternally(
      ctx.suite,
      fromBase64Url(info.groupInfo),
      fromBase64Url(info.ratchetTree),
      ctx.identity,
      { accountId: ctx.profile.accountId, deviceId: ctx.profile.deviceId },
    );
    try {
      const accepted = await ctx.api.call("commit", {
        params,
        body: {
          epoch: joined.epoch,
          commit: toBase64Url(joined.commit),
          addDeviceIds: [ctx.profile.deviceId],
          removeDeviceIds: [],
          welcomes: [],
          ratchetTree: toBase64Url(joined.ratchetTree),
          groupInfo: toBase64Url(await groupInfoForExternalJoin(ctx.suite, joined.newGroup)),
        },
      });
      return { newGroup: joined.newGroup, seq: accepted.seq };
    } catch (err) {
      const stale = err instanceof VollyError && err.code === "VOLLY_E_STALE_EPOCH";
      if (!stale || attempt >= MAX_JOIN_ATTEMPTS) throw err;
    }
  }
}
