import { Type } from "@sinclair/typebox";
import { ID_PATTERN } from "@volly/protocol";

/** A tool argument naming a conversation: its id (22 base64url characters), as list_conversations gives it. */
export const ConversationIdArg = Type.String({
  pattern: ID_PATTERN,
  description: "a conversation id (22 characters) from list_conversations",
});

/** A tool argument naming a message: its id (22 base64url characters), as read_messages gives it. */
export const MessageIdArg = Type.String({
  pattern: ID_PATTERN,
  description: "a message id (22 characters) from read_messages or search_messages",
});
