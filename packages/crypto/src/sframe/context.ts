import { DEFAULT_SFRAME_CIPHER_SUITE, type SFrameCipherSuite, sframeCipherSuite } from "./cipher-suites.js";
import { SFrameError } from "./errors.js";
import { openWith, sframeEncrypt } from "./frame.js";
import { decodeSFrameHeader, SFRAME_MAX_VALUE } from "./header.js";
import { importSFrameKey, type SFrameKey } from "./key-schedule.js";
import { ReplayWindow } from "./replay-window.js";

/** Options of an {@link SFrameContext}. */
export interface SFrameContextOptions {
  /** IANA code point of the cipher suite (RFC 9605 §8.1): 0x0005 (default) or 0x0004. */
  cipherSuite?: number;
  /**
   * Anti-replay window per KID, in frames (RFC 9605 §7.3): a frame whose CTR is this far or
   * more below the highest CTR accepted for its KID is refused, as is any CTR accepted before.
   * Default 128 (≈ 2.5 s of 20 ms audio frames; video frames reorder far less).
   */
  replayWindow?: number;
}

/** A decrypted frame and the header values it came with. */
export interface SFrameDecrypted {
  /** The KID of the header (identifies the sender's key). */
  readonly kid: bigint;
  /** The CTR of the header. */
  readonly ctr: bigint;
  /** The frame. */
  readonly plaintext: Uint8Array;
}

type Entry =
  | { usage: "encrypt"; key: SFrameKey; nextCtr: bigint }
  | { usage: "decrypt"; key: SFrameKey; replay: ReplayWindow };

/**
 * The keys of one SFrame session (RFC 9605 §4.4.1): KID → key, each usable for encryption or for
 * decryption, never both. Encryption keys carry the next CTR (initially 0, incremented for every
 * frame, reserved before sealing so concurrent calls never share a nonce); decryption keys carry
 * an anti-replay window. Runs wherever WebCrypto does (browser window or worker, Node); holds no
 * key bytes, only non-extractable CryptoKeys and salts.
 */
export class SFrameContext {
  /** The cipher suite every key of this context uses. */
  readonly suite: SFrameCipherSuite;
  private readonly replayWindow: number;
  private readonly keys = new Map<bigint, Entry>();

  /**
   * @param options cipher suite and replay window
   * @throws TypeError on an unsupported cipher suite; SFrameError ("invalid-argument") on a replay
   *   window that is not an integer in 1 … 65536
   */
  constructor(options: SFrameContextOptions = {}) {
    this.suite = sframeCipherSuite(options.cipherSuite ?? DEFAULT_SFRAME_CIPHER_SUITE);
    const window = options.replayWindow ?? 128;
    if (!Number.isInteger(window) || window < 1 || window > 65536) {
      throw new SFrameError("invalid-argument", "The replay window must be an integer in 1 … 65536 frames.");
    }
    this.replayWindow = window;
  }

  /**
   * Adds this sender's key for `kid` (RFC 9605 §4.4.1): frames sealed with it start at CTR 0.
   * A `base_key` must never be given for encryption to two senders, nor twice to one context after
   * {@link deleteKey} (its CTRs would start over and repeat nonces, §7.1).
   *
   * @param kid the KID, 0 … 2^64 − 1
   * @param baseKey the KID's `base_key`
   * @throws SFrameError "invalid-argument" (the KID already has a key, or bad arguments)
   */
  async addEncryptionKey(kid: bigint, baseKey: Uint8Array): Promise<void> {
    await this.add(kid, baseKey, (key) => ({ usage: "encrypt", key, nextCtr: 0n }));
  }

  /**
   * Adds another sender's key for `kid`: frames with that KID can then be decrypted.
   *
   * @param kid the KID, 0 … 2^64 − 1
   * @param baseKey the KID's `base_key`
   * @throws SFrameError "invalid-argument" (the KID already has a key, or bad arguments)
   */
  async addDecryptionKey(kid: bigint, baseKey: Uint8Array): Promise<void> {
    await this.add(kid, baseKey, (key) => ({
      usage: "decrypt",
      key,
      replay: new ReplayWindow(this.replayWindow),
    }));
  }

  private async add(kid: bigint, baseKey: Uint8Array, entry: (key: SFrameKey) => Entry): Promise<void> {
    if (this.keys.has(kid)) {
      throw new SFrameError("invalid-argument", "This SFrame KID already has a key; delete it first.", kid);
    }
    const key = await importSFrameKey(this.suite, kid, baseKey);
    if (this.keys.has(kid)) {
      throw new SFrameError("invalid-argument", "This SFrame KID already has a key; delete it first.", kid);
    }
    this.keys.set(kid, entry(key));
  }

  /** Forgets the key of `kid` (no-op when absent); frames with that KID then fail "unknown-kid". */
  deleteKey(kid: bigint): void {
    this.keys.delete(kid);
  }

  /** The KIDs that have a key, with their usage. */
  kids(): { kid: bigint; usage: "encrypt" | "decrypt" }[] {
    return [...this.keys].map(([kid, entry]) => ({ kid, usage: entry.usage }));
  }

  /**
   * Encrypts one frame with this sender's key for `kid` and the KID's next CTR (RFC 9605 §4.4.3).
   *
   * @param kid a KID added with {@link addEncryptionKey}
   * @param plaintext the frame
   * @param metadata authenticated, not sent (§7.4): the receiver must pass the same bytes
   * @returns the SFrame ciphertext (header + ciphertext + 16-byte tag)
   * @throws SFrameError "no-key", "key-usage" (a decryption key), "counter-exhausted"
   */
  async encrypt(kid: bigint, plaintext: Uint8Array, metadata?: Uint8Array): Promise<Uint8Array> {
    const entry = this.keys.get(kid);
    if (entry === undefined) throw new SFrameError("no-key", "No SFrame key for this KID.", kid);
    if (entry.usage !== "encrypt") {
      throw new SFrameError("key-usage", "This SFrame KID holds another sender's (decryption) key.", kid);
    }
    const ctr = entry.nextCtr;
    if (ctr > SFRAME_MAX_VALUE)
      throw new SFrameError("counter-exhausted", "The KID's CTR is exhausted.", kid);
    entry.nextCtr = ctr + 1n;
    return sframeEncrypt(entry.key, ctr, plaintext, metadata);
  }

  /**
   * Decrypts one SFrame ciphertext (RFC 9605 §4.4.4) with the key its header's KID selects, and
   * refuses replays. A failure returns nothing and leaves the replay state unchanged.
   *
   * @param ciphertext header + ciphertext + tag
   * @param metadata the metadata the sender authenticated
   * @throws SFrameError "malformed", "unknown-kid" (no key: the caller MAY retry once it has one),
   *   "own-kid" (the KID is this sender's own), "replay", "authentication"
   */
  async decrypt(ciphertext: Uint8Array, metadata?: Uint8Array): Promise<SFrameDecrypted> {
    const header = decodeSFrameHeader(ciphertext);
    const entry = this.keys.get(header.kid);
    if (entry === undefined) throw new SFrameError("unknown-kid", "No SFrame key for this KID.", header.kid);
    if (entry.usage !== "decrypt") {
      throw new SFrameError("own-kid", "This SFrame KID is this sender's own (encryption) key.", header.kid);
    }
    if (!entry.replay.allows(header.ctr)) {
      throw new SFrameError("replay", "This SFrame CTR was already received, or is too old.", header.kid);
    }
    const plaintext = await openWith(
      entry.key,
      ciphertext,
      header.ctr,
      header.length,
      metadata ?? new Uint8Array(0),
    );
    // A concurrent decrypt of the same frame may have been accepted while this one was in WebCrypto.
    if (!entry.replay.accept(header.ctr)) {
      throw new SFrameError("replay", "This SFrame CTR was already received, or is too old.", header.kid);
    }
    return { kid: header.kid, ctr: header.ctr, plaintext };
  }
}
