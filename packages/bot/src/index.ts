/**
 * `@volly/bot`: machine members (bots, AI agents, services, devices) as end-to-end encrypted
 * members of Volly conversations. See docs/machine-members/.
 */
export type { Bot, BotOptions, BotSendOptions, IncomingMessage } from "./bot-api.js";
export {
  ConversationSummary,
  MemberAttachment,
  MemberEvent,
  MemberSender,
  MessageEvent,
} from "./events.js";
