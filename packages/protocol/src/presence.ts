import { type Static, Type } from "@sinclair/typebox";
import { Timestamp } from "./common.js";

/**
 * The status an account chose, for all of its devices (stored by the server, last writer wins):
 * `online` (shown online while a device is active, idle when every connected device is idle),
 * `idle`, `dnd` (do not disturb: shown to others; clients silence notifications) and `invisible`
 * (others see the account offline; its own devices see "invisible").
 */
export const AccountStatus = Type.Union(
  [Type.Literal("online"), Type.Literal("idle"), Type.Literal("dnd"), Type.Literal("invisible")],
  { description: "the status an account chose for all of its devices" },
);
export type AccountStatus = Static<typeof AccountStatus>;

/** Longest custom status text, in UTF-16 code units. */
export const CUSTOM_STATUS_MAX_LENGTH = 128;

/**
 * A custom status text: 1 to {@link CUSTOM_STATUS_MAX_LENGTH} characters, no control characters
 * (C0, DEL, C1) — so no line breaks, no terminal escapes.
 */
export const CustomStatusText = Type.String({
  minLength: 1,
  maxLength: CUSTOM_STATUS_MAX_LENGTH,
  pattern: "^[^\\u0000-\\u001F\\u007F-\\u009F]*$",
  description: "custom status text: 1–128 characters, no control characters",
});

/** Body of `PUT /v1/presence/status`: the account's status and optional custom text with expiry. */
export const SetPresenceStatusBody = Type.Object(
  {
    status: AccountStatus,
    text: Type.Optional(CustomStatusText),
    until: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: "when the custom text expires (ms since Unix epoch, in the future); needs text",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SetPresenceStatusBody = Static<typeof SetPresenceStatusBody>;

/**
 * The account's chosen status as the server holds it. `text` and `until` are absent when there is
 * no custom text or it has expired (the server never serves an expired text).
 */
export const PresenceStatusResponse = Type.Object({
  status: AccountStatus,
  text: Type.Optional(CustomStatusText),
  until: Type.Optional(Timestamp),
  setAt: Type.Integer({ minimum: 0, description: "when a device of the account last set it (0: never set)" }),
});
export type PresenceStatusResponse = Static<typeof PresenceStatusResponse>;

/**
 * An account's presence as a client shows it: `offline` when no device is connected — or, for
 * everyone but the account itself, when it is invisible.
 */
export const PresenceState = Type.Union([
  Type.Literal("online"),
  Type.Literal("idle"),
  Type.Literal("dnd"),
  Type.Literal("invisible"),
  Type.Literal("offline"),
]);
export type PresenceState = Static<typeof PresenceState>;

/**
 * The custom text of a status if it is still current at `now`, else undefined: a text whose
 * `until` has passed is never shown (server and clients both compute it on read).
 */
export function currentStatusText(
  status: { text?: string | undefined; until?: number | undefined },
  now: number,
): string | undefined {
  if (status.text === undefined) return undefined;
  if (status.until !== undefined && status.until <= now) return undefined;
  return status.text;
}
