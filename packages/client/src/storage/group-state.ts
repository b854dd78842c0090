import { decodeGroup, encodeGroup, type MlsGroup } from "@volly/crypto";
import { fromBase64Url, toBase64Url, VollyError } from "@volly/protocol";
import type { Vault, VaultBatch } from "./vault.js";

/** Vault key of a conversation's MLS group state. */
export const groupKey = (conversationId: string): string => `group:${conversationId}`;

/** Loads a conversation's MLS group state; throws VOLLY_E_UNKNOWN_CONVERSATION when there is none. */
export async function loadGroupState(vault: Vault, conversationId: string): Promise<MlsGroup> {
  const state = await vault.getJson<string>(groupKey(conversationId));
  if (!state) {
    throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No group state for ${conversationId}.`);
  }
  return decodeGroup(fromBase64Url(state));
}

/** Stages a group state in a batch (sealed like every value). */
export function putGroupState(batch: VaultBatch, conversationId: string, group: MlsGroup): VaultBatch {
  return batch.putJson(groupKey(conversationId), toBase64Url(encodeGroup(group)));
}

/** Sorts keys like `outbox:` entries: a zero-padded decimal so string order is numeric order. */
export function padKey(n: number): string {
  return String(n).padStart(15, "0");
}
