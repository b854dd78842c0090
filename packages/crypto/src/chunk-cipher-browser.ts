/**
 * AES-256-GCM (NIST SP 800-38D; 96-bit IV, 128-bit tag) for the file AEAD's chunks, in browsers:
 * the platform's WebCrypto (`crypto.subtle`), which runs off the main thread on the CPU's AES
 * instructions. The default of `#chunk-cipher` (package.json `imports`); Node takes
 * ./chunk-cipher-node.js. Same shape as the Node module.
 */

/** Seals and opens the chunks of one file under one key. */
export interface ChunkCipher {
  /**
   * Seals a chunk: its ciphertext ‖ 16-byte tag (`plain.length + 16` bytes). WebCrypto copies
   * `plain` before the call returns.
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

/** A {@link ChunkCipher} over a 32-byte AES-256 key (checked by the caller); imports it once. */
export async function createChunkCipher(key: Uint8Array): Promise<ChunkCipher> {
  const cryptoKey = await crypto.subtle.importKey("raw", ownBytes(key), { name: "AES-GCM" }, false, [
    "encrypt",
    "decrypt",
  ]);
  return {
    seal: async (iv, plain) =>
      new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, cryptoKey, plain)),
    open: async (iv, sealed) => {
      try {
        return new Uint8Array(
          await crypto.subtle.decrypt({ name: "AES-GCM", iv }, cryptoKey, ownBytes(sealed)),
        );
      } catch (error) {
        // WebCrypto reports a tag mismatch (and only that, for a well-formed call) as OperationError.
        if ((error as { name?: unknown } | null)?.name === "OperationError") return undefined;
        throw error;
      }
    },
  };
}

/** `bytes` itself when it views an ArrayBuffer, else a copy: WebCrypto refuses views of a SharedArrayBuffer. */
function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
}
