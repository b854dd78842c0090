import type { FastifyInstance } from "fastify";

/**
 * The Content-Security-Policy of every HTML response. `'wasm-unsafe-eval'` lets the web app compile
 * WebAssembly (hash-wasm's Argon2id for the PIN keystore) without allowing JavaScript `eval`;
 * `connect-src ws: wss:` lets it reach the gateway; `blob:` workers run the MLS crypto off the UI thread;
 * `media-src blob:` plays decrypted voice messages and videos (object URLs and MediaSource).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/**
 * `Strict-Transport-Security` (RFC 6797) of responses to requests that arrived over HTTPS: one year,
 * this host only (other hosts of the domain may still serve plain HTTP).
 */
export const STRICT_TRANSPORT_SECURITY = "max-age=31536000";

/**
 * The headers every response carries: `X-Content-Type-Options: nosniff`, `Referrer-Policy:
 * no-referrer` (invite links carry their token in the path), and `Strict-Transport-Security` when
 * the request came over HTTPS — TLS ended in this process, or a trusted proxy (VOLLY_TRUST_PROXY)
 * said so in `X-Forwarded-Proto`. Never on plain HTTP: RFC 6797 §7.2 forbids it, and an
 * untrusted client's `X-Forwarded-Proto` is ignored.
 *
 * @param https true when the request arrived over HTTPS (Fastify's `request.protocol`)
 */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...(https ? { "strict-transport-security": STRICT_TRANSPORT_SECURITY } : {}),
  };
}

/**
 * Adds {@link securityHeaders} to every response, plus {@link CONTENT_SECURITY_POLICY} on HTML
 * responses. (Answers written before Fastify builds a request — malformed request lines, oversized
 * headers, undecodable URLs — get the same headers from `http/error-handler.ts`.)
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (request, reply, payload) => {
    reply.headers(securityHeaders(request.protocol === "https"));
    if (String(reply.getHeader("content-type") ?? "").startsWith("text/html")) {
      reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    }
    return payload;
  });
}
