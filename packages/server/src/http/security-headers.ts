import type { FastifyInstance } from "fastify";

/**
 * The Content-Security-Policy of every HTML response. `'wasm-unsafe-eval'` lets the web app compile
 * WebAssembly (hash-wasm's Argon2id for the PIN keystore) without allowing JavaScript `eval`;
 * `connect-src ws: wss:` lets it reach the gateway; `blob:` workers run the MLS crypto off the UI thread.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/**
 * Adds security headers to every response: `X-Content-Type-Options: nosniff` and
 * `Referrer-Policy: no-referrer` (invite links carry their token in the path), plus
 * {@link CONTENT_SECURITY_POLICY} on HTML responses.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    if (String(reply.getHeader("content-type") ?? "").startsWith("text/html")) {
      reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    }
    return payload;
  });
}
