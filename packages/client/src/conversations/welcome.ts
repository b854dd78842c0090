import { joinFromWelcome, welcomeKeyPackageRefs } from "@volly/crypto";
import { fromBase64Url, VollyError, type WelcomeEvent } from "@volly/protocol";
import type { KeyPackageRecord } from "../account/account-records.js";
import { SELF_CONVERSATION_TITLE, selfConversationId } from "../account/account-sync/self-conversation.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { defaultTitle, nameOf } from "./names.js";

/**
 * Joins the group a Welcome invites this device to (see `Conversations.acceptWelcome`): uses the
 * private half of the key package it names and the ratchet tree served out of band (RFC 9420
 * §12.4.3.1), in the conversation's queue. Throws VOLLY_E_DECRYPT_FAILED (cause "missing-state")
 * when no matching key package is held.
 */
export function acceptWelcome(s: ConversationServices, event: WelcomeEvent): Promise<ConversationRecord> {
  return s.queue.run(event.groupId, async () => {
    const { stores } = s.ctx;
    const known = await stores.conversations.get(event.groupId);
    if (known && !known.left) return known;
    const refs = welcomeKeyPackageRefs(fromBase64Url(event.welcome));
    let record: KeyPackageRecord | undefined;
    for (const ref of refs) {
      record ??= await stores.keyPackages.get(ref);
    }
    if (!record) {
      throw new VollyError("VOLLY_E_DECRYPT_FAILED", "No key package for this welcome.", {
        cause: "missing-state",
      });
    }
    const group = await joinFromWelcome(
      s.ctx.suite,
      fromBase64Url(event.welcome),
      fromBase64Url(event.ratchetTree),
      {
        ref: record.ref,
        keyPackage: fromBase64Url(record.keyPackage),
        privateKeyPackage: fromBase64Url(record.privateKeyPackage),
      },
    );
    const members = await s.directory.membersOf(group);
    const peer = members.length === 1 ? members[0] : undefined;
    const self = members.length === 0 && event.groupId === selfConversationId(s.ctx.profile.accountId);
    const direct = !self && peer !== undefined && known?.kind !== "group";
    const conv: ConversationRecord = {
      id: event.groupId,
      kind: direct ? "direct" : "group",
      title: known?.kind === "group" ? known.title : peer ? nameOf(peer) : defaultTitle(members),
      createdAt: known?.createdAt ?? Date.now(),
      lastSeq: event.seq,
      members,
      ...(direct ? { peerHandle: peer.handle } : {}),
      ...(known?.lastReadAt !== undefined ? { lastReadAt: known.lastReadAt } : {}),
      ...(known?.readSeq !== undefined ? { readSeq: known.readSeq } : {}),
      ...(self ? { self: true, title: SELF_CONVERSATION_TITLE } : {}),
    };
    const batch = stores.conversations.save(
      stores.groupStates.put(stores.batch(), event.groupId, group),
      conv,
    );
    if (direct && !(await s.state.findDirect(peer.handle))) {
      stores.directConversations.put(batch, peer.handle, event.groupId);
    }
    if (!record.lastResort) stores.keyPackages.delete(batch, record.ref);
    await batch.commit();
    s.state.changes.emit(conv);
    return conv;
  });
}
