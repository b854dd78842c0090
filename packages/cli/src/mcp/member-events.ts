import { type MessageEvent, type TextRecord, toMessageEvent } from "@volly/bot";
import type { MessageRecord } from "@volly/client";

/**
 * A stored message as machine members see it (`@volly/bot`'s `MessageEvent`, the JSON the daemon,
 * the webhooks and the MQTT bridge carry too). Undefined for what is no message to an agent:
 * membership events and tombstones of messages deleted for everyone. Unlike a bot's `onMessage`,
 * a channel's history shared by another member's device is kept: it is what the agent reads.
 */
export function memberMessage(record: MessageRecord): MessageEvent | undefined {
  return record.body.type === "text" ? toMessageEvent(record as TextRecord) : undefined;
}
