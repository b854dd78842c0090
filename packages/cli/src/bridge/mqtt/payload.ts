import { type Static, Type } from "@sinclair/typebox";
import { EntityType, Handle, Id, LIMITS, parse, VollyError } from "@volly/protocol";

/** Most bytes of an inbound payload: the longest text as 4-byte UTF-8, plus room for JSON. */
export const MAX_PAYLOAD_BYTES = LIMITS.maxTextChars * 4 + 1024;

/** The JSON form of a `PREFIX/CONVERSATION_ID/send` payload. */
export const SendPayload = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: LIMITS.maxTextChars, description: "the message" }),
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description:
          "the device's own id for this message: publishing it again (any time, any session) never sends it twice",
      }),
    ),
  },
  { $id: "MqttSendPayload", additionalProperties: false },
);
export type SendPayload = Static<typeof SendPayload>;

/** What the bridge publishes on `PREFIX/CONVERSATION_ID/messages` for each received message. */
export const PublishedMessage = Type.Object(
  {
    id: Id,
    conversationId: Id,
    from: Handle,
    fromType: Type.Optional(EntityType),
    text: Type.String(),
    sentAt: Type.Integer({ description: "sender's clock, ms since the Unix epoch" }),
    replyTo: Type.Optional(Id),
  },
  { $id: "MqttPublishedMessage", additionalProperties: false },
);
export type PublishedMessage = Static<typeof PublishedMessage>;

/** What the bridge publishes on `PREFIX/CONVERSATION_ID/errors` when it refuses a payload. */
export interface PublishedError {
  code: string;
  message: string;
  /** The topic the refused payload came on. */
  topic: string;
  /** The payload's own `id`, when it had one. */
  payloadId?: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes a `send` payload: strict UTF-8; a payload starting with `{` (after white space) is the
 * JSON {@link SendPayload}, anything else is the text itself (1 to `LIMITS.maxTextChars`
 * characters).
 *
 * @param payload the raw bytes, at most {@link MAX_PAYLOAD_BYTES}
 * @throws VollyError VOLLY_E_PAYLOAD_TOO_LARGE (too many bytes or characters), VOLLY_E_BAD_REQUEST
 *   (not UTF-8, JSON that does not parse or does not match {@link SendPayload}, empty text)
 */
export function decodeSendPayload(payload: Uint8Array): SendPayload {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) {
    throw new VollyError("VOLLY_E_PAYLOAD_TOO_LARGE", `The payload exceeds ${MAX_PAYLOAD_BYTES} bytes.`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "The payload is not valid UTF-8.");
  }
  if (text.trimStart().startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "The payload starts with { but is not valid JSON.");
    }
    return checkLength(parse(SendPayload, json));
  }
  if (text.length === 0) throw new VollyError("VOLLY_E_BAD_REQUEST", "The payload is empty.");
  return checkLength({ text });
}

function checkLength(p: SendPayload): SendPayload {
  if (p.text.length > LIMITS.maxTextChars) {
    throw new VollyError(
      "VOLLY_E_PAYLOAD_TOO_LARGE",
      `A message is at most ${LIMITS.maxTextChars} characters.`,
    );
  }
  return p;
}
