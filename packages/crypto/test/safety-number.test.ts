import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatSafetyNumber, generateIdentity, safetyNumber } from "../src/index.js";

const key = () => generateIdentity().signaturePublicKey;

/** An independent implementation over node:crypto, written from the description in the docstring. */
function reference(accountId: string, keys: Uint8Array[]): string {
  const sorted = Buffer.concat([...keys].map((k) => Buffer.from(k)).sort(Buffer.compare));
  let hash = createHash("sha512")
    .update(Buffer.from([0, 0]))
    .update(sorted)
    .update(accountId)
    .digest();
  for (let i = 1; i < 5200; i++) hash = createHash("sha512").update(hash).update(sorted).digest();
  let digits = "";
  for (let offset = 0; offset < 30; offset += 5) {
    digits += String(hash.readUIntBE(offset, 5) % 100000).padStart(5, "0");
  }
  return digits;
}

describe("safety numbers (Signal-style numeric fingerprints)", () => {
  it("both sides compute the same 60 digits and QR payload, whatever the order of keys", () => {
    const alice = { accountId: "acct-alice", keys: [key(), key()] };
    const bob = { accountId: "acct-bob", keys: [key()] };
    const ab = safetyNumber(alice, bob);
    const ba = safetyNumber(bob, { ...alice, keys: [...alice.keys].reverse() });
    expect(ab).toEqual(ba);
    expect(ab.digits).toMatch(/^\d{60}$/);
    expect(ab.qrPayload).toMatch(/^volly-sn:0:[A-Za-z0-9_-]{40}:[A-Za-z0-9_-]{40}$/);
    expect(formatSafetyNumber(ab.digits)).toMatch(/^(\d{5} ){11}\d{5}$/);
  });

  it("matches an independent implementation: 5200 SHA-512 rounds, 5-byte chunks mod 100000, sorted halves", () => {
    const alice = { accountId: "acct-alice", keys: [key(), key(), key()] };
    const bob = { accountId: "acct-bob", keys: [key()] };
    const halves = [reference(alice.accountId, alice.keys), reference(bob.accountId, bob.keys)].sort();
    expect(safetyNumber(alice, bob).digits).toBe(halves.join(""));
  });

  it("changes when a key is substituted, a device is added, or the account id differs", () => {
    const alice = { accountId: "acct-alice", keys: [key()] };
    const bob = { accountId: "acct-bob", keys: [key()] };
    const base = safetyNumber(alice, bob).digits;
    expect(safetyNumber(alice, { ...bob, keys: [key()] }).digits).not.toBe(base);
    expect(safetyNumber(alice, { ...bob, keys: [...bob.keys, key()] }).digits).not.toBe(base);
    expect(safetyNumber(alice, { ...bob, accountId: "acct-mallory" }).digits).not.toBe(base);
    // Only the half of the side that changed differs.
    const half = (d: string) => [d.slice(0, 30), d.slice(30)];
    const aliceHalf = reference(alice.accountId, alice.keys);
    expect(half(safetyNumber(alice, { ...bob, keys: [key()] }).digits)).toContain(aliceHalf);
  });

  it("refuses sides without keys, keys that are not 32 bytes, and empty account ids", () => {
    const ok = { accountId: "acct", keys: [key()] };
    expect(() => safetyNumber(ok, { accountId: "b", keys: [] })).toThrow(TypeError);
    expect(() => safetyNumber(ok, { accountId: "b", keys: [new Uint8Array(33)] })).toThrow(TypeError);
    expect(() => safetyNumber(ok, { accountId: "", keys: [key()] })).toThrow(TypeError);
  });
});
