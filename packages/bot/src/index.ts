/**
 * `@volly/bot`: machine members (bots, AI agents, services, devices) as end-to-end encrypted
 * members of Volly conversations. Start one with {@link startBot}. See docs/machine-members/bot-sdk.md.
 */
export type { Bot, BotOptions, BotSendOptions, IncomingMessage } from "./bot-api.js";
export { toConversationSummary } from "./conversations/conversation-summaries.js";
export {
  ConversationSummary,
  MemberAttachment,
  MemberEvent,
  MemberSender,
  MessageEvent,
} from "./events.js";
export { isDeliverable, type TextRecord, toMessageEvent } from "./incoming/message-events.js";
export type { BotLog } from "./log.js";
export { BotOptionsSchema } from "./profile/bot-options.js";
export { recoveryNoticeText } from "./recovery/recovery-notice.js";
export { startBot } from "./start-bot.js";
