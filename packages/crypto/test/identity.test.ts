import { fromBase64Url, utf8 } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import { fingerprint, generateIdentity, sign, verify } from "../src/index.js";

describe("device identity (Ed25519, RFC 8032)", () => {
  it("generates 32-byte keys and signatures that verify", () => {
    const id = generateIdentity();
    expect(id.signaturePublicKey).toHaveLength(32);
    expect(id.signaturePrivateKey).toHaveLength(32);
    const message = utf8("connect nonce 123");
    const signature = sign(id.signaturePrivateKey, message);
    expect(signature).toHaveLength(64);
    expect(verify(id.signaturePublicKey, message, signature)).toBe(true);
  });

  it("signs deterministically (RFC 8032 §5.1.6)", () => {
    const id = generateIdentity();
    const message = utf8("same");
    expect(sign(id.signaturePrivateKey, message)).toEqual(sign(id.signaturePrivateKey, message));
  });

  it("verify is false for a tampered message, a tampered signature or another key", () => {
    const id = generateIdentity();
    const other = generateIdentity();
    const message = utf8("hello");
    const signature = sign(id.signaturePrivateKey, message);
    expect(verify(id.signaturePublicKey, utf8("hellO"), signature)).toBe(false);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(verify(id.signaturePublicKey, message, flipped)).toBe(false);
    expect(verify(other.signaturePublicKey, message, signature)).toBe(false);
  });

  it("verify returns false, never throws, on garbage keys and signatures", () => {
    const id = generateIdentity();
    const message = utf8("x");
    const signature = sign(id.signaturePrivateKey, message);
    expect(verify(new Uint8Array(31), message, signature)).toBe(false);
    expect(verify(new Uint8Array(33), message, signature)).toBe(false);
    expect(verify(new Uint8Array(32).fill(0xff), message, signature)).toBe(false);
    expect(verify(id.signaturePublicKey, message, new Uint8Array(63))).toBe(false);
    expect(verify(id.signaturePublicKey, message, new Uint8Array(64).fill(0xff))).toBe(false);
    expect(verify(id.signaturePublicKey, message, new Uint8Array(0))).toBe(false);
  });

  it("fingerprint is base64url SHA-256 of the public key (43 chars)", () => {
    // SHA-256 of 32 zero bytes.
    expect(fingerprint(new Uint8Array(32))).toBe("Zmh6rfhivXdsj8GLjp-OIAiXFIVu4jOzkCpZHQ1fKSU");
    const id = generateIdentity();
    const fp = fingerprint(id.signaturePublicKey);
    expect(fp).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fromBase64Url(fp)).toHaveLength(32);
    expect(fingerprint(generateIdentity().signaturePublicKey)).not.toBe(fp);
  });
});
