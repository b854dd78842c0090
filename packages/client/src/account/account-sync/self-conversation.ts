import { groupMembers, type MlsGroup } from "@volly/crypto";

/** Title stored on the self conversation's record (never shown: the record is hidden). */
export const SELF_CONVERSATION_TITLE = "account sync";

/**
 * The id of an account's own sync conversation: the account id itself (group ids and account ids
 * are separate namespaces on the delivery service, both random 128-bit values). Deterministic, so
 * two devices creating it at the same time collide on the delivery service (VOLLY_E_GROUP_EXISTS)
 * instead of making two, and a device recognises its Welcome. Not secret and not trusted: what is
 * trusted is the MLS membership check in {@link isOwnOnlyGroup}, never the id.
 *
 * @param accountId the account's id (22 base64url characters)
 */
export function selfConversationId(accountId: string): string {
  return accountId;
}

/**
 * True when every leaf of `group` carries a credential of `accountId` (RFC 9420 §5.3): only then
 * is its content trusted as the account's own sync data.
 *
 * @param group the MLS group state
 * @param accountId this account's id
 */
export function isOwnOnlyGroup(group: MlsGroup, accountId: string): boolean {
  return groupMembers(group).every((m) => m.credential.accountId === accountId);
}
