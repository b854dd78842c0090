import { sha256 } from "@noble/hashes/sha2.js";

/**
 * Incremental SHA-256 (FIPS 180-4) for browsers and every runtime that is not Node: @noble/hashes
 * (WebCrypto's `digest` is one-shot, it cannot hash a stream). The `"default"` branch of `#sha256`
 * in this package's package.json `imports`; Node takes ./sha256-node.js. Same shape as that module.
 */

/** A running SHA-256: feed bytes with `update`, read the 32-byte digest once with `digest`. */
export interface Sha256 {
  /** Adds bytes (any length, may be empty) to the hashed message. */
  update(bytes: Uint8Array): void;
  /** The 32-byte digest of everything added; call once, then drop the object. */
  digest(): Uint8Array;
}

/** A fresh incremental SHA-256 (@noble/hashes). */
export function createSha256(): Sha256 {
  const hash = sha256.create();
  return {
    update: (bytes) => void hash.update(bytes),
    digest: () => hash.digest(),
  };
}
