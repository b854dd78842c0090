import { fromBase64Url, toBase64Url, utf8, VollyError } from "@volly/protocol";
import { describe, expect, it } from "vitest";
import {
  createKeystore,
  openKeystore,
  rewrapKeystore,
  type SealedKeystore,
  seal,
  unseal,
  validatePin,
} from "../src/index.js";

/** Cheap Argon2id cost for tests; one test below uses the defaults. */
const CHEAP = { memoryKiB: 1024, iterations: 1 };

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<VollyError> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(VollyError);
    expect((err as VollyError).code).toBe(code);
    return err as VollyError;
  }
  throw new Error(`expected ${code}`);
}

describe("PIN keystore (Argon2id RFC 9106 + XChaCha20-Poly1305)", () => {
  it("opens with the right PIN and returns the same 32-byte data key", async () => {
    const { keystore, dataKey } = await createKeystore("123456", CHEAP);
    expect(dataKey).toHaveLength(32);
    expect(keystore.v).toBe(1);
    expect(keystore.kdf).toMatchObject({ alg: "argon2id", memoryKiB: 1024, iterations: 1, parallelism: 1 });
    expect(fromBase64Url(keystore.kdf.salt)).toHaveLength(16);
    const roundTripped = JSON.parse(JSON.stringify(keystore)) as SealedKeystore;
    expect(await openKeystore(roundTripped, "123456")).toEqual(dataKey);
  });

  it("rejects a wrong PIN with VOLLY_E_WRONG_PIN", async () => {
    const { keystore } = await createKeystore("123456", CHEAP);
    await expectCode(openKeystore(keystore, "654321"), "VOLLY_E_WRONG_PIN");
  });

  it("rejects PINs that are not exactly 6 ASCII digits with VOLLY_E_PIN_INVALID", async () => {
    for (const pin of ["12345", "1234567", "abcdef", "12345a", " 12345", "１２３４５６", ""]) {
      await expectCode(() => validatePin(pin), "VOLLY_E_PIN_INVALID");
    }
    expect(() => validatePin("000000")).not.toThrow();
    await expectCode(createKeystore("12345", CHEAP), "VOLLY_E_PIN_INVALID");
    await expectCode(createKeystore("abcdef", CHEAP), "VOLLY_E_PIN_INVALID");
    const { keystore } = await createKeystore("123456", CHEAP);
    await expectCode(openKeystore(keystore, "12345"), "VOLLY_E_PIN_INVALID");
  });

  it("treats a tampered wrapped key like a wrong PIN", async () => {
    const { keystore } = await createKeystore("123456", CHEAP);
    const boxed = fromBase64Url(keystore.wrappedKey);
    boxed[30]! ^= 1;
    await expectCode(
      openKeystore({ ...keystore, wrappedKey: toBase64Url(boxed) }, "123456"),
      "VOLLY_E_WRONG_PIN",
    );
  });

  it("refuses a keystore asking for an absurd Argon2 cost", async () => {
    const { keystore } = await createKeystore("123456", CHEAP);
    const greedy = { ...keystore, kdf: { ...keystore.kdf, memoryKiB: 2 ** 40 } };
    await expectCode(openKeystore(greedy, "123456"), "VOLLY_E_DECRYPT_FAILED");
  });

  it("re-wraps the same data key under a new PIN (PIN change)", async () => {
    const { keystore, dataKey } = await createKeystore("111111", CHEAP);
    const rewrapped = await rewrapKeystore(dataKey, "222222");
    expect(rewrapped.kdf.salt).not.toBe(keystore.kdf.salt);
    expect(await openKeystore(rewrapped, "222222")).toEqual(dataKey);
    await expectCode(openKeystore(rewrapped, "111111"), "VOLLY_E_WRONG_PIN");
  });

  it("uses 64 MiB / 3 iterations / parallelism 1 by default", async () => {
    const { keystore, dataKey } = await createKeystore("424242");
    expect(keystore.kdf).toMatchObject({ memoryKiB: 65536, iterations: 3, parallelism: 1 });
    expect(await openKeystore(keystore, "424242")).toEqual(dataKey);
  });

  it("seal/unseal round-trips, with and without associated data", async () => {
    const { dataKey } = await createKeystore("123456", CHEAP);
    const plaintext = utf8("group state bytes");
    const sealed = seal(dataKey, plaintext);
    expect(sealed.length).toBe(24 + plaintext.length + 16);
    expect(unseal(dataKey, sealed)).toEqual(plaintext);
    expect(seal(dataKey, plaintext)).not.toEqual(sealed); // fresh nonce each time
    const aad = utf8("group:abc");
    expect(unseal(dataKey, seal(dataKey, plaintext, aad), aad)).toEqual(plaintext);
    expect(unseal(dataKey, seal(dataKey, new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it("unseal fails with VOLLY_E_DECRYPT_FAILED on tampering, truncation, wrong key or wrong AAD", async () => {
    const { dataKey } = await createKeystore("123456", CHEAP);
    const sealed = seal(dataKey, utf8("secret"), utf8("a"));
    const tampered = sealed.slice();
    tampered[tampered.length - 1]! ^= 1;
    await expectCode(() => unseal(dataKey, tampered, utf8("a")), "VOLLY_E_DECRYPT_FAILED");
    await expectCode(() => unseal(dataKey, sealed.subarray(0, 30), utf8("a")), "VOLLY_E_DECRYPT_FAILED");
    await expectCode(() => unseal(new Uint8Array(32), sealed, utf8("a")), "VOLLY_E_DECRYPT_FAILED");
    await expectCode(() => unseal(dataKey, sealed, utf8("b")), "VOLLY_E_DECRYPT_FAILED");
  });
});
