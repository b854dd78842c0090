import { ed25519 } from "@noble/curves/ed25519.js";
import { defaultCryptoProvider, getCiphersuiteFromName } from "ts-mls";
import { describe, expect, it } from "vitest";
import { mlsCiphersuiteImpl } from "../src/mls-provider.js";

const SUITES = [
  "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
  "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
] as const;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** Volly's ciphersuite implementation must compute exactly what ts-mls's default one does. */
describe.each(SUITES)("mlsCiphersuiteImpl(%s)", (name) => {
  const cs = getCiphersuiteFromName(name);

  it("derives the same HKDF outputs as ts-mls's default provider", async () => {
    const [ours, reference] = await Promise.all([
      mlsCiphersuiteImpl(cs),
      defaultCryptoProvider.getCiphersuiteImpl(cs),
    ]);
    expect(ours.kdf.size).toBe(reference.kdf.size);
    const prk = await ours.kdf.extract(bytes(ours.kdf.size, 1), bytes(40, 2));
    expect(prk).toEqual(await reference.kdf.extract(bytes(ours.kdf.size, 1), bytes(40, 2)));
    for (const len of [12, 32, 64]) {
      expect(await ours.kdf.expand(prk, bytes(30, 3), len)).toEqual(
        await reference.kdf.expand(prk, bytes(30, 3), len),
      );
    }
  });

  it("makes Ed25519 signatures others verify, and rejects tampered ones (keys imported once)", async () => {
    const [ours, reference] = await Promise.all([
      mlsCiphersuiteImpl(cs),
      defaultCryptoProvider.getCiphersuiteImpl(cs),
    ]);
    const signKey = ed25519.utils.randomSecretKey();
    const publicKey = ed25519.getPublicKey(signKey);
    for (let i = 0; i < 3; i++) {
      const message = bytes(100, i);
      const signature = await ours.signature.sign(signKey, message);
      expect(signature).toEqual(ed25519.sign(message, signKey));
      expect(await reference.signature.verify(publicKey, message, signature)).toBe(true);
      expect(await ours.signature.verify(publicKey, message, signature)).toBe(true);
      const tampered = signature.slice();
      tampered[0] = (tampered[0] ?? 0) ^ 1;
      expect(await ours.signature.verify(publicKey, message, tampered)).toBe(false);
      expect(await ours.signature.verify(publicKey, bytes(100, 9), signature)).toBe(false);
    }
  });
});
