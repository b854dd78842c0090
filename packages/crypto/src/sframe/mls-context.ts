import { DEFAULT_SFRAME_CIPHER_SUITE } from "./cipher-suites.js";
import { SFrameContext } from "./context.js";
import { SFrameError } from "./errors.js";
import { decodeSFrameHeader } from "./header.js";
import type { SFrameMlsEpoch } from "./mls-epoch.js";
import { DEFAULT_SFRAME_EPOCH_BITS, parseSFrameMlsKid, sframeMlsKid } from "./mls-kid.js";

/** Options of an {@link MlsSFrameContext}. */
export interface MlsSFrameContextOptions {
  /** SFrame cipher suite (IANA code point): 0x0005 (default) or 0x0004; epochs must match it. */
  cipherSuite?: number;
  /** `E` of RFC 9605 §5.2: epoch bits in the KID, 1 … 16 (default 4: 16 epochs at once). */
  epochBits?: number;
  /** Anti-replay window per sender and epoch, frames (default 128, see SFrameContextOptions). */
  replayWindow?: number;
}

/** A frame decrypted by an {@link MlsSFrameContext}, with who sent it in which epoch. */
export interface MlsSFrameDecrypted {
  /** The sender's MLS leaf index (map it to a device with the group's members). */
  readonly senderIndex: number;
  /** The MLS epoch whose key opened the frame. */
  readonly epoch: number;
  /** The header's KID: `(senderIndex << E) + (epoch mod 2^E)`. */
  readonly kid: bigint;
  /** The header's CTR (the sender's frame counter in that epoch). */
  readonly ctr: bigint;
  /** The frame. */
  readonly plaintext: Uint8Array;
}

interface EpochRecord {
  readonly data: SFrameMlsEpoch;
  readonly members: ReadonlySet<number>;
  /** KIDs of this epoch that have a key in the inner context. */
  readonly kids: Set<bigint>;
}

/**
 * The SFrame keys of one call in an MLS group (RFC 9605 §5.2), for one device: holds up to 2^E
 * epochs ({@link SFrameMlsEpoch}, from `sframeMlsEpoch`), seals this device's frames with its KID
 * in the newest epoch, and opens any member's frames of any held epoch, deriving that member's key
 * on its first frame. Uses no MLS state, only the exported epochs, so it runs in the worker that
 * transforms encoded frames (RTCRtpScriptTransform) as well as in Node.
 *
 * Key rotation: call {@link setEpoch} with each new epoch (someone joined or left); frames of older
 * held epochs still open until {@link retireEpoch} (receivers need a moment to switch). When an
 * epoch with the same low E bits arrives the older one is removed (§5.2: "receivers MUST remove an
 * old epoch"). A member removed from the group never gets the new epoch, so it cannot open frames
 * sealed in it.
 */
export class MlsSFrameContext {
  private readonly inner: SFrameContext;
  private readonly epochBits: number;
  private readonly epochs = new Map<number, EpochRecord>();
  private readonly pending = new Map<bigint, Promise<void>>();
  private sending: EpochRecord | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param options cipher suite, epoch bits, replay window
   * @throws TypeError (unsupported suite) or SFrameError "invalid-argument" (bad E or window)
   */
  constructor(options: MlsSFrameContextOptions = {}) {
    this.inner = new SFrameContext({
      cipherSuite: options.cipherSuite ?? DEFAULT_SFRAME_CIPHER_SUITE,
      ...(options.replayWindow === undefined ? {} : { replayWindow: options.replayWindow }),
    });
    this.epochBits = options.epochBits ?? DEFAULT_SFRAME_EPOCH_BITS;
    sframeMlsKid(0, 0, this.epochBits);
  }

  /** The epochs held, ascending. */
  heldEpochs(): number[] {
    return [...this.epochs.values()].map((r) => r.data.epoch).sort((a, b) => a - b);
  }

  /** The epoch this device's frames are sealed in (the newest set), if any. */
  get sendingEpoch(): number | undefined {
    return this.sending?.data.epoch;
  }

  /**
   * Adds an epoch's keys. The newest epoch set becomes the one this device seals with; an older
   * epoch whose low E bits are the same is removed. Setting an epoch already held with the same
   * base key does nothing. Copies `epoch.baseKey`.
   *
   * @param epoch from `sframeMlsEpoch` (same call, same cipher suite)
   * @throws SFrameError "invalid-argument": another cipher suite, a different base key for an epoch
   *   already held, an epoch older than a held one with the same low bits, or a bad member list
   */
  setEpoch(epoch: SFrameMlsEpoch): Promise<void> {
    const run = this.queue.then(() => this.install(epoch));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async install(epoch: SFrameMlsEpoch): Promise<void> {
    if (epoch.cipherSuite !== this.inner.suite.id) {
      throw new SFrameError("invalid-argument", "The epoch was exported for another SFrame cipher suite.");
    }
    if (!(epoch.baseKey instanceof Uint8Array) || epoch.baseKey.length !== this.inner.suite.nk) {
      throw new SFrameError("invalid-argument", `The epoch's base key must be ${this.inner.suite.nk} bytes.`);
    }
    const members = new Set(epoch.senderIndices);
    if (!members.has(epoch.ownSenderIndex)) {
      throw new SFrameError("invalid-argument", "The epoch's members do not include this device.");
    }
    const ownKid = sframeMlsKid(epoch.ownSenderIndex, epoch.epoch, this.epochBits);
    for (const index of members) sframeMlsKid(index, epoch.epoch, this.epochBits);
    const slot = this.slot(epoch.epoch);
    const held = this.epochs.get(slot);
    if (held !== undefined) {
      if (held.data.epoch === epoch.epoch) {
        if (equal(held.data.baseKey, epoch.baseKey)) return;
        throw new SFrameError("invalid-argument", "This epoch is already held with another base key.");
      }
      if (held.data.epoch > epoch.epoch) {
        throw new SFrameError("invalid-argument", "A newer epoch with the same low bits is held.");
      }
      await this.drop(held);
    }
    const record: EpochRecord = {
      data: { ...epoch, baseKey: epoch.baseKey.slice(), senderIndices: [...members].sort((a, b) => a - b) },
      members,
      kids: new Set([ownKid]),
    };
    await this.inner.addEncryptionKey(ownKid, record.data.baseKey);
    this.epochs.set(slot, record);
    if (this.sending === undefined || this.sending.data.epoch < epoch.epoch) this.sending = record;
  }

  /**
   * Forgets an epoch's keys (e.g. the epoch before a removal, once every member has moved on):
   * its frames then fail "unknown-kid". No-op when not held. The sending epoch can be retired only
   * when it is the last one held (then {@link encrypt} fails "no-key" until the next setEpoch).
   *
   * @param epoch the MLS epoch
   */
  retireEpoch(epoch: number): Promise<void> {
    const run = this.queue.then(async () => {
      const held = this.epochs.get(this.slot(epoch));
      if (held === undefined || held.data.epoch !== epoch) return;
      await this.drop(held);
      if (this.sending === held) {
        this.sending = [...this.epochs.values()].reduce<EpochRecord | undefined>(
          (best, r) => (best === undefined || r.data.epoch > best.data.epoch ? r : best),
          undefined,
        );
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async drop(record: EpochRecord): Promise<void> {
    const slot = this.slot(record.data.epoch);
    this.epochs.delete(slot);
    // Keys being derived for this epoch's senders (their KIDs carry the same low bits) land first.
    const mask = BigInt(2 ** this.epochBits - 1);
    const inFlight = [...this.pending].filter(([kid]) => Number(kid & mask) === slot).map(([, p]) => p);
    await Promise.allSettled(inFlight);
    for (const kid of record.kids) this.inner.deleteKey(kid);
    record.kids.clear();
    record.data.baseKey.fill(0);
  }

  private slot(epoch: number): number {
    return epoch % 2 ** this.epochBits;
  }

  /**
   * Seals one frame of this device in the sending epoch (RFC 9605 §4.4.3).
   *
   * @param plaintext the encoded frame
   * @param metadata authenticated, not sent; the receiver must pass the same bytes
   * @throws SFrameError "no-key" (no epoch set yet), "counter-exhausted"
   */
  async encrypt(plaintext: Uint8Array, metadata?: Uint8Array): Promise<Uint8Array> {
    const sending = this.sending;
    if (sending === undefined) throw new SFrameError("no-key", "No MLS epoch was set for this call.");
    const kid = sframeMlsKid(sending.data.ownSenderIndex, sending.data.epoch, this.epochBits);
    return this.inner.encrypt(kid, plaintext, metadata);
  }

  /**
   * Opens one member's frame (RFC 9605 §4.4.4): the KID names the sender's leaf index and the
   * epoch's low bits; the sender must be a member of that held epoch.
   *
   * @param ciphertext an SFrame ciphertext
   * @param metadata the metadata the sender authenticated
   * @throws SFrameError "malformed", "unknown-kid" (epoch not held, or not a member of it: the
   *   caller MAY retry after the next setEpoch), "own-kid" (this device's own KID), "replay",
   *   "authentication"
   */
  async decrypt(ciphertext: Uint8Array, metadata?: Uint8Array): Promise<MlsSFrameDecrypted> {
    const { kid } = decodeSFrameHeader(ciphertext);
    const { senderIndex, epochLow } = parseSFrameMlsKid(kid, this.epochBits);
    const record = this.epochs.get(epochLow);
    if (record === undefined || !record.members.has(senderIndex)) {
      throw new SFrameError("unknown-kid", "No held MLS epoch has a sender with this KID.", kid);
    }
    if (!record.kids.has(kid)) await this.deriveDecryptionKey(record, kid);
    const opened = await this.inner.decrypt(ciphertext, metadata);
    return { senderIndex, epoch: record.data.epoch, kid, ctr: opened.ctr, plaintext: opened.plaintext };
  }

  private deriveDecryptionKey(record: EpochRecord, kid: bigint): Promise<void> {
    let pending = this.pending.get(kid);
    if (pending === undefined) {
      pending = this.inner.addDecryptionKey(kid, record.data.baseKey).then(
        () => {
          this.pending.delete(kid);
          if (this.epochs.get(this.slot(record.data.epoch)) === record) record.kids.add(kid);
          else this.inner.deleteKey(kid);
        },
        (err: unknown) => {
          this.pending.delete(kid);
          throw err;
        },
      );
      this.pending.set(kid, pending);
    }
    return pending;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
