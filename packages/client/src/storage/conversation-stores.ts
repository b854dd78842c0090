import { VollyError } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import { KeyedRecords } from "./keyed-records.js";
import { RECORD_PREFIXES } from "./store-keys.js";
import type { Vault, VaultBatch } from "./vault.js";

/** Conversation records, by conversation id. */
export class ConversationStore extends KeyedRecords<ConversationRecord> {
  constructor(vault: Vault) {
    super(vault, RECORD_PREFIXES.conversation);
  }

  /** One conversation; throws VOLLY_E_UNKNOWN_CONVERSATION when there is none. */
  async require(id: string): Promise<ConversationRecord> {
    const conv = await this.get(id);
    if (!conv) throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No conversation ${id} in this profile.`);
    return conv;
  }

  /** Stages a conversation record under its own id; returns the batch. */
  save(batch: VaultBatch, conv: ConversationRecord): VaultBatch {
    return this.put(batch, conv.id, conv);
  }
}

/** Devices that left a conversation and whose Remove is still to commit (device ids), by conversation id. */
export class DepartureStore extends KeyedRecords<string[]> {
  constructor(vault: Vault) {
    super(vault, RECORD_PREFIXES.departures);
  }

  /** The departed devices of a conversation still to remove (empty when none). */
  async of(conversationId: string): Promise<string[]> {
    return (await this.get(conversationId)) ?? [];
  }
}
