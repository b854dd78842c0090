import type { IceServer, IceServersResponse } from "@volly/protocol";
import type { TurnConfig } from "../../config-calls.js";

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00 §2.2, coturn `use-auth-secret`):
 * `username` = `<expiry, Unix seconds>:<accountId>`, `credential` = base64(HMAC-SHA1(secret,
 * username)). HMAC-SHA1 is what coturn checks (the draft's and coturn's choice, not ours); it comes
 * from WebCrypto.
 *
 * @param secret coturn's `static-auth-secret` (UTF-8)
 * @param accountId who the relay is for (shows in coturn's logs; never a device id or IP)
 * @param expiresAtSeconds when the credential stops working (Unix seconds)
 */
export async function turnCredential(
  secret: string,
  accountId: string,
  expiresAtSeconds: number,
): Promise<{ username: string; credential: string }> {
  const username = `${expiresAtSeconds}:${accountId}`;
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-1" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(username)));
  return { username, credential: Buffer.from(mac).toString("base64") };
}

/**
 * The answer of `GET /v1/calls/ice-servers` for `accountId` at `nowMs`: STUN URLs as one entry
 * without credentials, TURN URLs as one entry with fresh credentials valid for `turn.ttlSeconds`.
 * Without a TURN configuration: no servers and `ttlSeconds` 0.
 *
 * @param nowMs the clock (ms since the Unix epoch)
 */
export async function iceServersFor(
  turn: TurnConfig | undefined,
  accountId: string,
  nowMs: number,
): Promise<IceServersResponse> {
  if (turn === undefined) return { iceServers: [], ttlSeconds: 0 };
  const stun = turn.urls.filter((url) => /^stuns?:/.test(url));
  const relays = turn.urls.filter((url) => /^turns?:/.test(url));
  const iceServers: IceServer[] = [];
  if (stun.length > 0) iceServers.push({ urls: stun });
  if (relays.length > 0 && turn.secret !== undefined) {
    const expiresAt = Math.floor(nowMs / 1000) + turn.ttlSeconds;
    iceServers.push({ urls: relays, ...(await turnCredential(turn.secret, accountId, expiresAt)) });
  }
  return { iceServers, ttlSeconds: relays.length > 0 ? turn.ttlSeconds : 0 };
}
