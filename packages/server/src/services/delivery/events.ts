import type { GroupMessageEvent, WelcomeEvent } from "@volly/protocol";
import type { LogEntryWithSender, WelcomeWithContext } from "../../store/types.js";

/** The GROUP_MESSAGE dispatch payload of a log entry. */
export function toGroupMessageEvent(e: LogEntryWithSender): GroupMessageEvent {
  return {
    groupId: e.groupId,
    seq: e.seq,
    kind: e.kind,
    messageId: e.messageId,
    epoch: e.epoch,
    senderDeviceId: e.senderDeviceId,
    senderAccountId: e.senderAccountId,
    senderHandle: e.senderHandle,
    payload: e.payload,
    createdAt: e.createdAt,
  };
}

/** The WELCOME dispatch payload of an inbox entry (ratchet tree served out of band, RFC 9420 §12.4.3.3). */
export function toWelcomeEvent(w: WelcomeWithContext): WelcomeEvent {
  return {
    welcomeId: w.id,
    groupId: w.groupId,
    epoch: w.epoch,
    seq: w.seq,
    senderDeviceId: w.senderDeviceId,
    senderAccountId: w.senderAccountId,
    senderHandle: w.senderHandle,
    welcome: w.payload,
    ratchetTree: w.ratchetTree,
    createdAt: w.createdAt,
  };
}
