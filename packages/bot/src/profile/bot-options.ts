import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { EntityType, Handle, VollyError } from "@volly/protocol";
import type { BotOptions } from "../bot-api.js";

/**
 * The data fields of {@link BotOptions} (the function `log` is checked on its own): what
 * {@link checkBotOptions} validates before anything is opened or created.
 */
export const BotOptionsSchema = Type.Object({
  dir: Type.String({ minLength: 1, description: "profile directory" }),
  secret: Type.Optional(Type.String({ minLength: 1, description: "the PIN sealing the profile" })),
  apiKey: Type.Optional(Type.String({ minLength: 1, description: "an API key of the account (vly_…)" })),
  server: Type.Optional(Type.String({ pattern: "^https?://", description: "server URL" })),
  handle: Type.Optional(Handle),
  type: Type.Optional(EntityType),
  displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  autoJoin: Type.Optional(Type.Boolean()),
  direct: Type.Optional(
    Type.Boolean({ description: "direct paths to member devices (WebRTC, mDNS on the LAN)" }),
  ),
});

/**
 * Validates the options of `startBot` against {@link BotOptionsSchema}; one of `secret` and
 * `apiKey` must be given.
 *
 * @throws VollyError VOLLY_E_USAGE naming the first bad field (nothing is created or opened)
 */
export function checkBotOptions(options: BotOptions): void {
  const { log, ...data } = options;
  const error = Value.Errors(BotOptionsSchema, data).First();
  if (error) {
    throw new VollyError("VOLLY_E_USAGE", `Bad bot option ${error.path || "/"}: ${error.message}.`, {
      path: error.path,
    });
  }
  if (data.secret === undefined && data.apiKey === undefined) {
    throw new VollyError("VOLLY_E_USAGE", "Bad bot option: give `secret` (a PIN) or `apiKey`.", {
      path: "/secret",
    });
  }
  if (log !== undefined && typeof log !== "function") {
    throw new VollyError("VOLLY_E_USAGE", "Bad bot option /log: expected a function.", { path: "/log" });
  }
}
