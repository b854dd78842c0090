import { type Static, Type } from "@sinclair/typebox";
import { Handle, Id } from "./common.js";

/** Most accounts one message may mention by handle. */
export const MAX_MENTIONED_HANDLES = 50;
/** Most roles one message may mention (community channels only). */
export const MAX_MENTIONED_ROLES = 20;

/**
 * Who a text message mentions (TextContent `mentions`), derived by the sending device from its
 * text (`@handle`, `@user@server`, `@RoleName`, `@everyone`, `@here`) and encrypted with it:
 * - `handles`: accounts, by handle (any conversation), as the SENDER's server shows them: bare
 *   (`alice`) for that server's own accounts, `user@server` for other servers' (federation). A
 *   receiver on another server reads a bare one as `alice@<sender's server>`;
 * - `roles`: community roles, by role id (community channels only);
 * - `everyone`: every member of the channel; `here`: the members online when it is sent (community
 *   channels only; the sender declares "mention-everyone" to the server, which refuses it without
 *   MENTION_EVERYONE).
 * Receivers ignore `roles`, `everyone` and `here` from a sender who does not hold MENTION_EVERYONE
 * in the channel, and all three outside community channels (DESIGN.md "Mentions").
 */
export const TextMentions = Type.Object(
  {
    handles: Type.Optional(Type.Array(Handle, { maxItems: MAX_MENTIONED_HANDLES, uniqueItems: true })),
    roles: Type.Optional(Type.Array(Id, { maxItems: MAX_MENTIONED_ROLES, uniqueItems: true })),
    everyone: Type.Optional(Type.Literal(true)),
    here: Type.Optional(Type.Literal(true)),
  },
  // Unknown fields are allowed, as in TextContent itself: a later kind of mention from a newer
  // client must not make an older one drop the whole message.
  { description: "who the message mentions (absent: nobody)" },
);
export type TextMentions = Static<typeof TextMentions>;
