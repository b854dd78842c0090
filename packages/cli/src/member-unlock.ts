import { resolveApiKey } from "./api-key-source.js";
import type { GlobalOptions } from "./options.js";
import { resolvePin } from "./pin.js";

/** How a long-running member (`volly daemon`, `volly bridge mqtt`) opens its profile. */
export type MemberUnlock = { apiKey: string } | { secret: string };

/**
 * The credentials for `startBot` in this run: the API key (`VOLLY_API_KEY` or `--api-key-file`) when
 * there is one — no PIN prompt, sessions carry the key — else the PIN (`--pin`, `VOLLY_PIN`, or
 * asked on a terminal), as every other command does through `with-client.ts`.
 *
 * @throws VollyError VOLLY_E_API_KEY_INVALID (a malformed key), VOLLY_E_PROFILE_LOCKED (no key, no
 *   PIN and no terminal)
 */
export async function memberUnlock(g: GlobalOptions): Promise<MemberUnlock> {
  const apiKey = resolveApiKey(g);
  return apiKey !== undefined ? { apiKey } : { secret: await resolvePin(g.pin) };
}
