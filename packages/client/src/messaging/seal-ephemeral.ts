import { encryptApplication, groupEpoch, isRemovedFromGroup } from "@volly/crypto";
import {
  type ApplicationContent,
  type SendEphemeralBody,
  toBase64Url,
  utf8,
  VollyError,
} from "@volly/protocol";
import type { ClientContext } from "../shared/client-context.js";

/**
 * Encrypts ephemeral `content` (call or direct-path signaling) as an MLS application message (RFC
 * 9420 §6.3.1) with the conversation's group state and stores the advanced state before the
 * ciphertext leaves, so a key is never used twice even if sending fails. Run it in the
 * conversation's queue.
 *
 * @param purpose what the content is for, in the usage error of the self conversation ("Calls")
 * @returns the epoch it was encrypted in and the ciphertext (base64url), as POST
 *   /v1/groups/:groupId/ephemeral takes them
 * @throws VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_USAGE (the account's self conversation),
 *   VOLLY_E_NOT_GROUP_MEMBER (left or removed)
 */
export async function sealEphemeralLocked(
  ctx: ClientContext,
  conversationId: string,
  content: ApplicationContent,
  purpose: string,
): Promise<SendEphemeralBody> {
  const { stores, suite } = ctx;
  const conv = await stores.conversations.get(conversationId);
  if (!conv) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation ${conversationId}.`);
  if (conv.self)
    throw new VollyError("VOLLY_E_USAGE", `${purpose} are not made in the account's own conversation.`);
  if (conv.left) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
  const group = await stores.groupStates.load(conversationId);
  if (isRemovedFromGroup(group)) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER");
  const epoch = groupEpoch(group);
  const { newGroup, ciphertext } = await encryptApplication(suite, group, utf8(JSON.stringify(content)));
  await stores.groupStates.put(stores.batch(), conversationId, newGroup).commit();
  return { epoch, ciphertext: toBase64Url(ciphertext) };
}
