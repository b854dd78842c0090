import { createHmac } from "node:crypto";

/**
 * A Janus signed token (Janus `token_auth` with `token_auth_secret`, see Janus's auth.c): the text
 * `<expiry Unix s>,janus,<plugin>[,<plugin>…]`, a colon, and base64(HMAC-SHA1(secret, that text)).
 * Janus accepts it as the `token` of any API request until the expiry, and lets it attach only the
 * listed plugins. HMAC comes from the platform (node:crypto), nothing hand-rolled.
 *
 * @param secret Janus's `token_auth_secret`
 * @param expiresAt when it stops working (Unix seconds)
 * @param plugins the plugin packages it may attach, e.g. `["janus.plugin.videoroom"]`
 */
export function signGatewayToken(secret: string, expiresAt: number, plugins: readonly string[]): string {
  const data = [String(Math.floor(expiresAt)), "janus", ...plugins].join(",");
  return `${data}:${createHmac("sha1", secret).update(data).digest("base64")}`;
}
