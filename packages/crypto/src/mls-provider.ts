import { expand as hkdfExpand, extract as hkdfExtract } from "@noble/hashes/hkdf.js";
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import {
  type Ciphersuite,
  type CiphersuiteImpl,
  type Kdf,
  nobleCryptoProvider,
  type Signature,
} from "ts-mls";

/** Imported Ed25519 keys kept per process (each side), so a signature does not re-import its key. */
const KEY_CACHE_SIZE = 256;

const HASHES = { "HKDF-SHA256": sha256, "HKDF-SHA384": sha384, "HKDF-SHA512": sha512 } as const;

/**
 * HKDF (RFC 5869) from @noble/hashes, synchronous: MLS derives several keys per message (the
 * secret tree's ratchets, RFC 9420 §9; the sender-data key and nonce, §6.3.2), and ts-mls's default
 * goes through WebCrypto for each, importing an HMAC key and hopping to the thread pool every time.
 */
function nobleKdf(algorithm: keyof typeof HASHES): Kdf {
  const hash = HASHES[algorithm];
  return {
    async extract(salt, ikm) {
      return hkdfExtract(hash, ikm, salt);
    },
    async expand(prk, info, len) {
      return hkdfExpand(hash, prk, info, len);
    },
    size: hash.outputLen,
  };
}

/** A Map that forgets its oldest entry beyond `size`. */
function boundedCache<V>(size: number) {
  const map = new Map<string, V>();
  return {
    get: (key: string) => map.get(key),
    set(key: string, value: V) {
      if (map.size >= size) map.delete(map.keys().next().value as string);
      map.set(key, value);
    },
  };
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Ed25519 (RFC 8032) through WebCrypto, as ts-mls's default does, but with each imported key kept
 * (bounded), where the default rebuilds and imports the key on every signature and verification.
 * Falls back to `base` for anything WebCrypto refuses (e.g. a platform without Ed25519).
 */
function cachedEd25519(base: Signature): Signature {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return base;
  const signKeys = boundedCache<Promise<CryptoKey>>(KEY_CACHE_SIZE);
  const verifyKeys = boundedCache<Promise<CryptoKey>>(KEY_CACHE_SIZE);
  /** RFC 8410 PKCS#8 wrapping of a raw 32-byte Ed25519 private key. */
  const pkcs8 = (raw: Uint8Array) =>
    new Uint8Array([
      0x30,
      0x2e,
      0x02,
      0x01,
      0x00,
      0x30,
      0x05,
      0x06,
      0x03,
      0x2b,
      0x65,
      0x70,
      0x04,
      0x22,
      0x04,
      0x20,
      ...raw,
    ]);
  return {
    async sign(signKey, message) {
      const id = hex(signKey);
      let key = signKeys.get(id);
      if (!key) {
        const data = (signKey.length === 32 ? pkcs8(signKey) : signKey) as Uint8Array<ArrayBuffer>;
        key = subtle.importKey("pkcs8", data, "Ed25519", false, ["sign"]);
        key.catch(() => undefined);
        signKeys.set(id, key);
      }
      try {
        return new Uint8Array(await subtle.sign("Ed25519", await key, message as Uint8Array<ArrayBuffer>));
      } catch {
        return base.sign(signKey, message);
      }
    },
    async verify(publicKey, message, signature) {
      const id = hex(publicKey);
      let key = verifyKeys.get(id);
      if (!key) {
        key = subtle.importKey("raw", publicKey as Uint8Array<ArrayBuffer>, "Ed25519", false, ["verify"]);
        key.catch(() => undefined);
        verifyKeys.set(id, key);
      }
      try {
        return await subtle.verify(
          "Ed25519",
          await key,
          signature as Uint8Array<ArrayBuffer>,
          message as Uint8Array<ArrayBuffer>,
        );
      } catch {
        return base.verify(publicKey, message, signature);
      }
    },
    keygen: () => base.keygen(),
  };
}

/**
 * The ts-mls implementation of a ciphersuite as Volly runs it: ts-mls's noble provider (HPKE and the
 * KEM — X-Wing via @hpke/hybridkem-x-wing —, AES-GCM from @noble/ciphers, hashes from @noble/hashes)
 * with HKDF from @noble/hashes and Ed25519 keys imported once. Every primitive is still ts-mls's,
 * @noble's or the platform's WebCrypto; only where keys are imported changes.
 */
export async function mlsCiphersuiteImpl(cs: Ciphersuite): Promise<CiphersuiteImpl> {
  const base = await nobleCryptoProvider.getCiphersuiteImpl(cs);
  return { ...base, kdf: nobleKdf(cs.hpke.kdf), signature: cachedEd25519(base.signature) };
}
