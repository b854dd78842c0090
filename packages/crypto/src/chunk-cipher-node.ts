import { createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";

/**
 * AES-256-GCM (NIST SP 800-38D; 96-bit IV, 128-bit tag) for the file AEAD's chunks, in Node.
 * Opening uses node:crypto, called synchronously: Node's WebCrypto runs each call as a job on its
 * thread pool — it copies the input, allocates the output in a fresh ArrayBuffer and hops threads
 * twice — which on 64 KiB chunks cost about 5× the cipher's own CPU time (a CPU profile of a
 * 100 MiB download: most of the time in the job's `run` and in garbage collection, not in AES;
 * 560–920 ms of CPU per 100 MiB through WebCrypto, 230–260 ms through node:crypto). Sealing stays
 * on WebCrypto: an upload's main thread is busy with tus and the hash, and WebCrypto seals on the
 * thread pool beside it (in the files benchmark, sealing on the main thread lowered the upload
 * ratio, as it did in the previous session's A/B). Both run the same OpenSSL code (AES-NI, VAES,
 * carry-less multiply). Chosen over ./chunk-cipher-browser.js by the `"node"` condition of
 * `#chunk-cipher` in this package's package.json `imports`, so browser bundles never see
 * node:crypto. Same shape as the browser module.
 */

/** Seals and opens the chunks of one file under one key. */
export interface ChunkCipher {
  /**
   * Seals a chunk: its ciphertext ‖ 16-byte tag (`plain.length + 16` bytes). `plain` may be reused
   * by the caller once the promise settles.
   *
   * @param iv the chunk's 12-byte nonce
   */
  seal(iv: Uint8Array<ArrayBuffer>, plain: Uint8Array<ArrayBuffer>): Promise<Uint8Array>;
  /**
   * Opens a sealed chunk (ciphertext ‖ 16-byte tag, more than 16 bytes).
   *
   * @returns the plaintext, or undefined when the tag does not verify under this key and `iv`
   */
  open(iv: Uint8Array<ArrayBuffer>, sealed: Uint8Array): Promise<Uint8Array | undefined>;
}

const TAG_BYTES = 16;

/** A {@link ChunkCipher} over a 32-byte AES-256 key (checked by the caller). */
export async function createChunkCipher(key: Uint8Array): Promise<ChunkCipher> {
  const secret: KeyObject = createSecretKey(key);
  const sealing = await crypto.subtle.importKey("raw", secret.export(), { name: "AES-GCM" }, false, [
    "encrypt",
  ]);
  return {
    seal: async (iv, plain) =>
      new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, sealing, plain)),
    open: async (iv, sealed) => {
      const split = sealed.length - TAG_BYTES;
      const decipher = createDecipheriv("aes-256-gcm", secret, iv);
      decipher.setAuthTag(sealed.subarray(split));
      const plain = decipher.update(sealed.subarray(0, split));
      try {
        decipher.final();
      } catch {
        return undefined;
      }
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    },
  };
}
