import { createHash } from "node:crypto";

/**
 * Incremental SHA-256 (FIPS 180-4) for Node: node:crypto's, about 15× faster than the pure-JS
 * one (@noble/hashes) on the blob sizes attachments have. Chosen over ./sha256-browser.js by the
 * `"node"` condition of `#sha256` in this package's package.json `imports`, so browser bundles
 * never see node:crypto. Same shape as the browser module.
 */

/** A running SHA-256: feed bytes with `update`, read the 32-byte digest once with `digest`. */
export interface Sha256 {
  /** Adds bytes (any length, may be empty) to the hashed message. */
  update(bytes: Uint8Array): void;
  /** The 32-byte digest of everything added; call once, then drop the object. */
  digest(): Uint8Array;
}

/** A fresh incremental SHA-256 (node:crypto). */
export function createSha256(): Sha256 {
  const hash = createHash("sha256");
  return {
    update: (bytes) => void hash.update(bytes),
    digest: () => new Uint8Array(hash.digest()),
  };
}
