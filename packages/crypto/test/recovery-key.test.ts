import { ed25519 } from "@noble/curves/ed25519.js";
import { VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import {
  accountBackupKey,
  formatRecoveryKey,
  generateRecoveryKey,
  openAccountBackup,
  parseRecoveryKey,
  recoveryIdentity,
  sealAccountBackup,
} from "../src/index.js";

describe("recovery keys", () => {
  it("writes 32 bytes as 13 groups of 4 Crockford base32 characters and reads them back", () => {
    const text = generateRecoveryKey();
    expect(text).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){12}[0-9A-HJKMNP-TV-Z]{4}$/);
    const bytes = parseRecoveryKey(text);
    expect(bytes).toHaveLength(32);
    expect(formatRecoveryKey(bytes)).toBe(text);
  });

  it("reads a key as typed: any case, spaces instead of dashes, I/L for 1 and O for 0", () => {
    const bytes = new Uint8Array(32).map((_, i) => i * 7);
    const text = formatRecoveryKey(bytes);
    const typed = text.toLowerCase().replaceAll("-", " ").replaceAll("1", "l").replaceAll("0", "o");
    expect(parseRecoveryKey(typed)).toEqual(bytes);
  });

  it("refuses what is not a key with VOLLY_E_RECOVERY_KEY_INVALID", () => {
    const valid = generateRecoveryKey();
    for (const bad of ["", "hello", valid.slice(0, -1), `${valid}A`, `${valid.slice(0, -1)}U`]) {
      expect(() => parseRecoveryKey(bad)).toThrow(
        expect.objectContaining({ code: "VOLLY_E_RECOVERY_KEY_INVALID" }) as VollyError,
      );
    }
    // 256 bits in 52 characters: the last one carries 1 bit and 4 zero padding bits ("0" or "G").
    expect(() => parseRecoveryKey(`${valid.slice(0, -1)}1`)).toThrow(VollyError);
  });

  it("derives a stable Ed25519 recovery key pair that signs and verifies", () => {
    const key = parseRecoveryKey(generateRecoveryKey());
    const a = recoveryIdentity(key);
    const b = recoveryIdentity(key.slice());
    expect(a.signaturePublicKey).toEqual(b.signaturePublicKey);
    expect(ed25519.getPublicKey(a.signaturePrivateKey)).toEqual(a.signaturePublicKey);
    const other = recoveryIdentity(parseRecoveryKey(generateRecoveryKey()));
    expect(other.signaturePublicKey).not.toEqual(a.signaturePublicKey);
    // The backup key is a different derivation of the same secret.
    expect(accountBackupKey(key)).not.toEqual(a.signaturePrivateKey);
  });

  it("seals the account backup for one account and opens it only with the same key and account", () => {
    const key = accountBackupKey(parseRecoveryKey(generateRecoveryKey()));
    const plain = new TextEncoder().encode("account document");
    const sealed = sealAccountBackup(key, "account-a", plain);
    expect(openAccountBackup(key, "account-a", sealed)).toEqual(plain);
    const wrongKey = accountBackupKey(parseRecoveryKey(generateRecoveryKey()));
    for (const open of [
      () => openAccountBackup(wrongKey, "account-a", sealed),
      () => openAccountBackup(key, "account-b", sealed),
    ]) {
      expect(open).toThrow(expect.objectContaining({ code: "VOLLY_E_DECRYPT_FAILED" }) as VollyError);
    }
  });
});
