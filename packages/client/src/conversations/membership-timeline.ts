import { newId } from "@volly/protocol";
import type { MessageEvents } from "../messaging/message-events.js";
import type { MembershipBody, MembershipParty, MessageRecord } from "../messaging/message-records.js";
import type { ClientContext } from "../shared/client-context.js";
import type { VaultBatch } from "../storage/vault.js";
import type { ConversationMember, ConversationRecord } from "./conversation-records.js";

/** Where and when a membership event happened. */
export interface MembershipEventOrigin {
  /** When (ms): the server's time of the log entry it came from, else this device's clock. */
  at: number;
  /** The group-log seq of the commit or message it came from, when known. */
  seq?: number;
  /** The device that committed or sent it, when known. */
  fromDeviceId?: string;
}

/**
 * Membership events in conversations' timelines: stored as message records with a membership body
 * (`MembershipBody`), in the same batch as the state change they describe, so a processed commit
 * and its events land together (and an entry processed twice is dropped by its seq, never told
 * twice). Only group conversations show them (not direct conversations, not the account's self
 * conversation). Nothing is sent: every device derives its own from MLS. Events whose actor is
 * another account are marked unseen, so `volly receive` prints them; none counts as unread.
 */
export class MembershipTimeline {
  constructor(
    private readonly ctx: ClientContext,
    private readonly events: MessageEvents,
  ) {}

  /** Whether a conversation shows membership events: a group, not the self conversation. */
  shows(conv: Pick<ConversationRecord, "kind" | "self">): boolean {
    return conv.kind === "group" && !conv.self;
  }

  /** This account as a party of an event. */
  self(): MembershipParty {
    return { accountId: this.ctx.profile.accountId, handle: this.ctx.profile.handle };
  }

  /**
   * The name of an account for an event: this account, or the member, former member or `extra`
   * entry with its id (the account id stands in for the handle when none knows it).
   */
  party(
    conv: ConversationRecord,
    accountId: string,
    extra: readonly ConversationMember[] = [],
  ): MembershipParty {
    return toParty(this.member(conv, accountId, extra));
  }

  /** The member entry of an account (as {@link party}), with its display name when known. */
  member(
    conv: ConversationRecord,
    accountId: string,
    extra: readonly ConversationMember[] = [],
  ): ConversationMember {
    if (accountId === this.ctx.profile.accountId) {
      const { handle, displayName } = this.ctx.profile;
      return { accountId, handle, ...(displayName !== undefined ? { displayName } : {}) };
    }
    const known = [...extra, ...(conv.members ?? []), ...(conv.formerMembers ?? [])];
    return known.find((m) => m.accountId === accountId) ?? { accountId, handle: accountId };
  }

  /**
   * Stages `bodies` as event records of `conv` in `batch` (nothing when the conversation shows no
   * events) and returns them; fire them with {@link announce} once the batch is committed. Several
   * events of one origin are a millisecond apart, so they keep their order.
   */
  stage(
    batch: VaultBatch,
    conv: ConversationRecord,
    bodies: readonly MembershipBody[],
    origin: MembershipEventOrigin,
  ): MessageRecord[] {
    if (!this.shows(conv)) return [];
    const { stores, profile } = this.ctx;
    const receivedAt = Date.now();
    return bodies.map((body, i) => {
      const own = body.actor.accountId === profile.accountId;
      const record: MessageRecord = {
        id: newId(),
        conversationId: conv.id,
        from: body.actor.handle,
        fromDeviceId: origin.fromDeviceId ?? "",
        direction: own ? "out" : "in",
        body,
        sentAt: origin.at + i,
        receivedAt,
        status: own ? "sent" : "received",
        ...(origin.seq !== undefined ? { seq: origin.seq } : {}),
      };
      stores.messages.put(batch, record);
      if (!own) stores.unseen.add(batch, record);
      return record;
    });
  }

  /** Fires `Messaging.received` for stored event records (after their batch was committed). */
  announce(records: readonly MessageRecord[]): void {
    for (const record of records) this.events.received.emit(record);
  }
}

/** A member entry as a party of an event (account id and handle). */
export function toParty(member: ConversationMember): MembershipParty {
  return { accountId: member.accountId, handle: member.handle };
}
