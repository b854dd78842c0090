import { type InvitePayload, toBase64Url, utf8, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import {
  createInvite,
  fingerprint,
  generateIdentity,
  inviteWebUrl,
  parseInvite,
  sign,
  verifyInvite,
} from "../src/index.js";

const NOW = 1_750_000_000_000;

function setup(server = "https://chat.example.org") {
  const inviter = generateIdentity();
  const payload: InvitePayload = {
    v: 1,
    server,
    handle: "alice",
    fingerprint: fingerprint(inviter.signaturePublicKey),
    expiresAt: NOW + 7 * 24 * 3600 * 1000,
  };
  return { inviter, payload, link: createInvite(payload, inviter.signaturePrivateKey) };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof VollyError ? err.code : `not a VollyError: ${String(err)}`;
  }
  return undefined;
}

describe("invite links", () => {
  it("round-trips the app link form and verifies against the inviter's key", () => {
    const { inviter, payload, link } = setup();
    expect(link.startsWith("volly://invite/")).toBe(true);
    const parsed = parseInvite(link, NOW);
    expect(parsed.payload).toEqual(payload);
    expect(link).toBe(`volly://invite/${parsed.token}`);
    expect(() => verifyInvite(parsed, inviter.signaturePublicKey)).not.toThrow();
  });

  it("round-trips the web link form on an http or https origin", () => {
    for (const server of ["https://chat.example.org", "http://localhost:8080"]) {
      const { inviter, link } = setup(server);
      const web = inviteWebUrl(link);
      const token = parseInvite(link, NOW).token;
      expect(web).toBe(`${server}/i/${token}`);
      const parsed = parseInvite(web, NOW);
      expect(parsed.token).toBe(token);
      expect(parsed.payload.server).toBe(server);
      verifyInvite(parsed, inviter.signaturePublicKey);
      expect(inviteWebUrl(web)).toBe(web);
    }
  });

  it("rejects an expired invite with VOLLY_E_INVITE_EXPIRED (default now = Date.now())", () => {
    const { link, payload } = setup();
    expect(codeOf(() => parseInvite(link, payload.expiresAt))).toBe("VOLLY_E_INVITE_EXPIRED");
    expect(codeOf(() => parseInvite(link, payload.expiresAt - 1))).toBeUndefined();
    const inviter = generateIdentity();
    const stale = createInvite(
      { ...payload, fingerprint: fingerprint(inviter.signaturePublicKey), expiresAt: Date.now() - 1000 },
      inviter.signaturePrivateKey,
    );
    expect(codeOf(() => parseInvite(stale))).toBe("VOLLY_E_INVITE_EXPIRED");
  });

  it("rejects a tampered payload: the signature no longer verifies", () => {
    const { inviter, payload, link } = setup();
    const signature = parseInvite(link, NOW).token.split(".")[1]!;
    const forged = { ...payload, handle: "mallory" };
    const forgedLink = `volly://invite/${toBase64Url(utf8(JSON.stringify(forged)))}.${signature}`;
    const parsed = parseInvite(forgedLink, NOW);
    expect(codeOf(() => verifyInvite(parsed, inviter.signaturePublicKey))).toBe("VOLLY_E_INVITE_INVALID");
  });

  it("rejects a web link whose origin is not the invite's server", () => {
    const { link } = setup();
    const token = parseInvite(link, NOW).token;
    expect(codeOf(() => parseInvite(`https://evil.example/i/${token}`, NOW))).toBe("VOLLY_E_INVITE_INVALID");
  });

  it("reports VOLLY_E_INVITE_KEY_MISMATCH when the directory's key is not the fingerprinted one", () => {
    const { inviter, payload, link } = setup();
    const parsed = parseInvite(link, NOW);
    const other = generateIdentity();
    expect(codeOf(() => verifyInvite(parsed, other.signaturePublicKey))).toBe("VOLLY_E_INVITE_KEY_MISMATCH");
    // A payload correctly naming another key, signed by that key, still fails against the inviter's key.
    const relabelled = { ...payload, fingerprint: fingerprint(other.signaturePublicKey) };
    const otherLink = createInvite(relabelled, other.signaturePrivateKey);
    const otherParsed = parseInvite(otherLink, NOW);
    expect(codeOf(() => verifyInvite(otherParsed, inviter.signaturePublicKey))).toBe(
      "VOLLY_E_INVITE_KEY_MISMATCH",
    );
    // The right fingerprint but a signature by someone else.
    const signedBytes = utf8(JSON.stringify(payload));
    const badSig = sign(other.signaturePrivateKey, signedBytes);
    const mixed = parseInvite(`volly://invite/${toBase64Url(signedBytes)}.${toBase64Url(badSig)}`, NOW);
    expect(codeOf(() => verifyInvite(mixed, inviter.signaturePublicKey))).toBe("VOLLY_E_INVITE_INVALID");
  });

  it("rejects malformed links and payloads with VOLLY_E_INVITE_INVALID", () => {
    const { payload, inviter } = setup();
    const sig = "A".repeat(86);
    const bad = [
      "",
      "https://chat.example.org/x/abc",
      "volly://invite/",
      "volly://invite/abc",
      `volly://invite/${toBase64Url(utf8("not json"))}.${sig}`,
      `volly://invite/${toBase64Url(utf8(JSON.stringify({ ...payload, v: 2 })))}.${sig}`,
      `volly://invite/${toBase64Url(utf8(JSON.stringify({ ...payload, extra: 1 })))}.${sig}`,
      `volly://invite/${toBase64Url(utf8(JSON.stringify(payload)))}.${sig.slice(1)}`,
    ];
    for (const link of bad)
      expect(
        codeOf(() => parseInvite(link, NOW)),
        link,
      ).toBe("VOLLY_E_INVITE_INVALID");
    expect(codeOf(() => createInvite({ ...payload, server: "ftp://x" }, inviter.signaturePrivateKey))).toBe(
      "VOLLY_E_INVITE_INVALID",
    );
  });
});
