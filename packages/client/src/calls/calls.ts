import { isRemovedFromGroup, type SFrameMlsEpoch, sframeMlsEpoch } from "@volly/crypto";
import { CallEventContent, newId, parse, VollyError } from "@volly/protocol";
import type { ConversationState } from "../conversations/conversation-state.js";
import { callBodyOf } from "../messaging/content/call-event.js";
import { channelOf, type MessageRecord } from "../messaging/message-records.js";
import type { Outbox } from "../messaging/outbox.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet } from "../shared/listeners.js";
import type { CallEpochChange, CallRecordInput, CallSignaling, Calls } from "./calls-api.js";
import type { IceServers } from "./ice-servers.js";

/**
 * The SDK's {@link Calls} (see there for each public member): signaling (`signaling.ts`) and the
 * timeline's call records, sent through the outbox like messages.
 */
export class CallsService implements Calls {
  readonly epochChanges = new ListenerSet<CallEpochChange>();

  /**
   * @param deps.queue the per-conversation queue every group state change goes through (media keys
   *   are exported inside it, from the state stored at that moment)
   */
  constructor(
    private readonly ctx: ClientContext,
    readonly signaling: CallSignaling,
    private readonly deps: {
      outbox: Outbox;
      conversations: ConversationState;
      iceServers: IceServers;
      queue: KeyedQueue;
    },
  ) {
    ctx.stores.groupStates.epochChanges.add(({ conversationId, epoch }) =>
      this.epochChanges.emit({ conversationId, epoch }),
    );
  }

  async mediaKeys(conversationId: string, callId: string): Promise<SFrameMlsEpoch> {
    const conv = await this.deps.conversations.get(conversationId);
    if (conv.self)
      throw new VollyError("VOLLY_E_USAGE", "Calls are not made in the account's own conversation.");
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    return this.deps.queue.run(conversationId, async () => {
      const group = await this.ctx.stores.groupStates.load(conversationId);
      if (isRemovedFromGroup(group))
        throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
      return sframeMlsEpoch(this.ctx.suite, group, callId);
    });
  }

  iceServers(options?: { fresh?: boolean }): ReturnType<IceServers["iceServers"]> {
    return this.deps.iceServers.iceServers(options);
  }

  async record(conversationId: string, call: CallRecordInput): Promise<MessageRecord> {
    const conv = await this.deps.conversations.get(conversationId);
    if (conv.self)
      throw new VollyError("VOLLY_E_USAGE", "Calls are not made in the account's own conversation.");
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    const sentAt = Date.now();
    const content = parse(
      CallEventContent,
      {
        v: 1,
        type: "call.event",
        id: newId(),
        sentAt,
        callId: call.callId,
        media: call.media,
        outcome: call.outcome,
        ...(call.durationMs !== undefined ? { durationMs: call.durationMs } : {}),
      },
      "VOLLY_E_USAGE",
    );
    const body = callBodyOf(content);
    const { profile } = this.ctx;
    const message: MessageRecord = {
      id: content.id,
      conversationId,
      ...channelOf(conv),
      from: profile.handle,
      fromAccountId: profile.accountId,
      fromDeviceId: profile.deviceId,
      direction: "out",
      body,
      sentAt,
      receivedAt: sentAt,
      status: "pending",
    };
    await this.deps.outbox.add(conversationId, content, message);
    await this.deps.outbox.flush();
    const refused = this.deps.outbox.refusal(content.id);
    if (refused) throw refused;
    return (await this.ctx.stores.messages.get(content.id)) ?? message;
  }
}
