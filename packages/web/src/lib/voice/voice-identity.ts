/**
 * What a voice channel participant announces in its Janus `display`: its account id and the call id
 * its frames are sealed under, `<accountId> <callId>`. The call id is `voice:<channelId>:<nonce>`,
 * a fresh random nonce per join: SFrame keys come from the MLS exporter with the call id as context
 * (RFC 9605 §5.2, `sframeMlsEpoch`), and a device that left and joined again in the same MLS epoch
 * restarts its frame counter at 0 — with a call id fixed per channel that would reuse AEAD nonces
 * under the same key (and the others' replay windows would drop its frames).
 *
 * Janus does not authenticate `display`; the SFrame KID of every frame names the sender's MLS leaf,
 * so a member can only mislabel its own feed, never open another's frames without the group's keys.
 */

/** At most this many bytes of call id (the exporter context limit is 256). */
const MAX_CALL_ID = 200;
const DISPLAY = /^([A-Za-z0-9_-]{1,64}) (voice:[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{16,64})$/;

/** A new call id for one join of `channelId` (128 random bits). */
export function newVoiceCallId(channelId: string): string {
  const nonce = new Uint8Array(16);
  crypto.getRandomValues(nonce);
  const text = btoa(String.fromCharCode(...nonce))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  return `voice:${channelId}:${text}`;
}

/** The `display` this participant joins with. */
export function voiceDisplay(accountId: string, callId: string): string {
  return `${accountId} ${callId}`;
}

/**
 * Reads another participant's `display`; undefined when it does not parse or names another
 * channel's call (a feed that is not followed).
 */
export function parseVoiceDisplay(
  display: string | undefined,
  channelId: string,
): { accountId: string; callId: string } | undefined {
  const match = display === undefined ? null : DISPLAY.exec(display);
  if (!match) return undefined;
  const [, accountId, callId] = match as unknown as [string, string, string];
  if (callId.length > MAX_CALL_ID || !callId.startsWith(`voice:${channelId}:`)) return undefined;
  return { accountId, callId };
}
