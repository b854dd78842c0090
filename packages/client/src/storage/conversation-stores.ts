import { decodeGroup, encodeGroup, type MlsGroup } from "@volly/crypto";
import { fromBase64Url, toBase64Url, VollyError } from "@volly/protocol";
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

/** Each conversation's MLS group state (RFC 9420 §8 group context and tree, ts-mls encoding). */
export class GroupStateStore {
  private readonly records: KeyedRecords<string>;

  constructor(vault: Vault) {
    this.records = new KeyedRecords<string>(vault, RECORD_PREFIXES.groupState);
  }

  /**
   * Loads a conversation's group state. Throws VOLLY_E_UNKNOWN_CONVERSATION when there is none,
   * VOLLY_E_DECRYPT_FAILED when it does not unseal or decode.
   */
  async load(conversationId: string): Promise<MlsGroup> {
    const state = await this.records.get(conversationId);
    if (!state) {
      throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `No group state for ${conversationId}.`);
    }
    return decodeGroup(fromBase64Url(state));
  }

  /** Stages a group state (encoded and sealed); returns the batch. */
  put(batch: VaultBatch, conversationId: string, group: MlsGroup): VaultBatch {
    return this.records.put(batch, conversationId, toBase64Url(encodeGroup(group)));
  }

  /** Stages an already encoded group state (base64url of encodeGroup); returns the batch. */
  putEncoded(batch: VaultBatch, conversationId: string, encoded: string): VaultBatch {
    return this.records.put(batch, conversationId, encoded);
  }

  /** Stages deleting a conversation's group state; returns the batch. */
  delete(batch: VaultBatch, conversationId: string): VaultBatch {
    return this.records.delete(batch, conversationId);
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
