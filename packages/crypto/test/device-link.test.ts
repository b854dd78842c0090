import { describe, expect, it } from "vitest";
import {
  formatLinkCode,
  generateLinkSecret,
  LINK_SECRET_BYTES,
  linkProof,
  parseLinkCode,
  verifyLinkProof,
} from "../src/device-link.js";

const linkId = "AAAAAAAAAAAAAAAAAAAAAA";
const key = "k".repeat(43);

describe("device link pairing codes and proofs", () => {
  it("round-trips a pairing code and keeps only the server's origin", () => {
    const secret = generateLinkSecret();
    expect(secret.length).toBe(LINK_SECRET_BYTES);
    const code = formatLinkCode("https://chat.example.org/some/path", linkId, secret);
    expect(code).toMatch(/^volly-link:https:\/\/chat\.example\.org\/[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
    expect(parseLinkCode(` ${code}\n`)).toEqual({ server: "https://chat.example.org", linkId, secret });
  });

  it("rejects malformed codes with VOLLY_E_LINK_INVALID", () => {
    const good = formatLinkCode("http://127.0.0.1:8080", linkId, generateLinkSecret());
    for (const bad of [
      good.replace("volly-link:", "volly-invite:"),
      good.slice(0, -2),
      good.replace("http:", "ftp:"),
      `${good}.x`,
      "volly-link:nonsense",
    ]) {
      expect(() => parseLinkCode(bad)).toThrow(expect.objectContaining({ code: "VOLLY_E_LINK_INVALID" }));
    }
  });

  it("proof = HMAC-SHA256(secret, linkClaim(linkId, key)) verifies only with the same secret, link and key", () => {
    const secret = generateLinkSecret();
    const proof = linkProof(secret, linkId, key);
    expect(proof).toHaveLength(43);
    expect(verifyLinkProof(secret, linkId, key, proof)).toBe(true);
    expect(verifyLinkProof(generateLinkSecret(), linkId, key, proof)).toBe(false);
    expect(verifyLinkProof(secret, "BAAAAAAAAAAAAAAAAAAAAA", key, proof)).toBe(false);
    expect(verifyLinkProof(secret, linkId, "j".repeat(43), proof)).toBe(false);
    expect(verifyLinkProof(secret, linkId, key, "!!")).toBe(false);
  });

  it("matches RFC 4231 test case 2 through the same HMAC construction", async () => {
    // HMAC-SHA256(key "Jefe", "what do ya want for nothing?") — checks the primitive, not the framing.
    const { hmac } = await import("@noble/hashes/hmac.js");
    const { sha256 } = await import("@noble/hashes/sha2.js");
    const mac = hmac(
      sha256,
      new TextEncoder().encode("Jefe"),
      new TextEncoder().encode("what do ya want for nothing?"),
    );
    expect(Buffer.from(mac).toString("hex")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});
