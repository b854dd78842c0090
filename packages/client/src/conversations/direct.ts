import { type AccountEntry, type ClaimReason, newId, VollyError } from "@volly/protocol";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { claimFor, createWithMembers } from "./creation.js";
import { memberOf, nameOf } from "./names.js";

/**
 * Returns the direct conversation with `account`, creating it when there is none (see
 * `ConversationsService.openDirect`). Runs in a queue keyed by the handle, so two calls at once create one
 * conversation.
 *
 * @param reason why the peer's key packages are claimed: `{type: "invite", invite}` after accepting
 *   their invite, else a first contact by handle (rate-limited more strictly by the server)
 */
export function openDirect(
  s: ConversationServices,
  account: AccountEntry,
  reason: ClaimReason = { type: "first-contact" },
): Promise<ConversationRecord> {
  return s.queue.run(`direct:${account.handle}`, async () => {
    const existing = (await s.state.findDirect(account.handle)) ?? (await moved(s, account));
    if (existing) return existing;
    if (account.accountId === s.ctx.profile.accountId) {
      throw new VollyError("VOLLY_E_USAGE", "A direct conversation needs another account.");
    }
    await s.directory.remember(account);
    const member = memberOf(account);
    const keyPackages = await claimFor(s, [account], reason);
    const conv: ConversationRecord = {
      id: newId(),
      kind: "direct",
      peerHandle: account.handle,
      title: nameOf(member),
      createdAt: Date.now(),
      lastSeq: 0,
      members: [member],
    };
    return createWithMembers(s, conv, keyPackages, (batch) =>
      s.ctx.stores.directConversations.put(batch, account.handle, conv.id),
    );
  });
}

/**
 * The direct conversation with `account` kept under another handle — the account moved to another
 * server (issue 18: it keeps its id) — re-keyed and renamed to its handle now; undefined when there
 * is none this device is still in.
 */
async function moved(
  s: ConversationServices,
  account: AccountEntry,
): Promise<ConversationRecord | undefined> {
  const { stores } = s.ctx;
  for (const [oldHandle, id] of await stores.directConversations.list()) {
    const conv = await stores.conversations.get(id);
    const peer = conv?.members?.[0];
    if (
      !conv ||
      conv.membershipEnd ||
      peer?.accountId !== account.accountId ||
      oldHandle === account.handle
    ) {
      continue;
    }
    const member = { ...peer, handle: account.handle };
    const renamed: ConversationRecord = {
      ...conv,
      peerHandle: account.handle,
      members: [member],
      ...(conv.title === peer.handle ? { title: nameOf(member) } : {}),
    };
    let batch = stores.directConversations.delete(stores.batch(), oldHandle);
    batch = stores.directConversations.put(batch, account.handle, id);
    await stores.conversations.save(batch, renamed).commit();
    return renamed;
  }
  return undefined;
}
