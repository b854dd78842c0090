import { ListenerSet } from "../shared/listeners.js";
import type { MessageAction } from "./actions/message-action.js";
import type { MessageRecord } from "./message-records.js";

/** The message events of one client, fired by sending (outbox) and receiving (incoming) alike. */
export class MessageEvents {
  /** Fires for each new message stored (incoming, or outgoing once accepted). */
  readonly received = new ListenerSet<MessageRecord>();
  /** Fires when a stored message changes: queued, sent, delivered, read. */
  readonly updates = new ListenerSet<MessageRecord>();
  /** Fires for each action applied to a stored message: reaction, edit, delete for everyone, pin. */
  readonly actions = new ListenerSet<MessageAction>();
}
