import { type Static, Type } from "@sinclair/typebox";

/**
 * What an encrypted message says it carries, so the server can check the sender's permission in a
 * community channel without reading it: "attachment" needs ATTACH_FILES, "mention-everyone" needs
 * MENTION_EVERYONE. Receiving clients check the content against the same role table and drop what
 * was not declared (the server cannot see through a lie; they can).
 */
export const MessageDeclaration = Type.Union([Type.Literal("attachment"), Type.Literal("mention-everyone")]);
export type MessageDeclaration = Static<typeof MessageDeclaration>;
