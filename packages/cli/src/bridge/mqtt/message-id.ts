import { createHash } from "node:crypto";

/**
 * A Volly message id (22 base64url characters, 128 bits, never starting with `-`) derived from
 * `parts`: SHA-256 over the parts (each length-prefixed), first 16 bytes. The same parts always give
 * the same id, so a message the bridge sends again under it is stored once (the SDK returns the
 * stored message; the server drops or refuses a second copy).
 */
export function derivedMessageId(...parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) {
    const bytes = Buffer.from(p, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    h.update(len).update(bytes);
  }
  const id = h.digest().subarray(0, 16);
  // The first character encodes the top 6 bits; clearing the top bit keeps it within A–Z a–f.
  id[0] = (id[0] ?? 0) & 0x7f;
  return id.toString("base64url");
}
