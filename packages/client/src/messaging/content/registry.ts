import { accountSyncHandler } from "./account-sync.js";
import { callEventHandler } from "./call-event.js";
import {
  callAcceptHandler,
  callDeclineHandler,
  callHangupHandler,
  callIceHandler,
  callRingHandler,
  callSdpHandler,
  callStateHandler,
} from "./call-signal.js";
import { channelHistoryHandler } from "./channel-history.js";
import type { ContentHandler, ContentType } from "./content-handler.js";
import { deleteHandler } from "./delete.js";
import { editHandler } from "./edit.js";
import { groupMetaHandler } from "./group-meta.js";
import { historyHandler } from "./history.js";
import { p2pHelloHandler, p2pSdpHandler } from "./p2p-signal.js";
import { pinHandler } from "./pin.js";
import { profileHandler } from "./profile.js";
import { reactionHandler } from "./reaction.js";
import { receiptHandler } from "./receipt.js";
import { textHandler } from "./text.js";

/**
 * Every kind of application content and its handler. The mapped type makes TypeScript reject a
 * kind of packages/protocol's ApplicationContent without a handler here (and a handler under the
 * wrong kind).
 */
export const CONTENT_HANDLERS: { readonly [K in ContentType]: ContentHandler<K> } = {
  text: textHandler,
  receipt: receiptHandler,
  "group-meta": groupMetaHandler,
  "account-sync": accountSyncHandler,
  history: historyHandler,
  "channel-history": channelHistoryHandler,
  reaction: reactionHandler,
  edit: editHandler,
  delete: deleteHandler,
  pin: pinHandler,
  profile: profileHandler,
  "call.ring": callRingHandler,
  "call.accept": callAcceptHandler,
  "call.decline": callDeclineHandler,
  "call.hangup": callHangupHandler,
  "call.sdp": callSdpHandler,
  "call.ice": callIceHandler,
  "call.state": callStateHandler,
  "call.event": callEventHandler,
  "p2p.hello": p2pHelloHandler,
  "p2p.sdp": p2pSdpHandler,
};

/** The handler of a content kind, typed for that kind. */
export function contentHandler<K extends ContentType>(type: K): ContentHandler<K> {
  return CONTENT_HANDLERS[type];
}
