import { CallKeySchedule, RETIRE_PREVIOUS_EPOCH_AFTER_MS, type VollyClient } from "@volly/client";
import { MlsSFrameContext, type SFrameMlsEpoch } from "@volly/crypto";

/** Where a call's SFrame keys come from: by default `client.calls.mediaKeys` (RFC 9605 §5.2). */
export type MediaKeySource = (conversationId: string, callId: string) => Promise<SFrameMlsEpoch>;

/** How long frames of the previous epoch still open after a re-key (ms): peers switch at slightly different times. */
export { RETIRE_PREVIOUS_EPOCH_AFTER_MS };

/** Counts of one call's media frames (see {@link CallMediaKeys}). */
export interface CallFrameCounts {
  /** Frames this participant sealed and sent. */
  sent: number;
  /** Received frames that opened. */
  decrypted: number;
  /** Received frames that did not open (dropped): wrong key, other call or epoch, tampered, replayed. */
  failed: number;
  /** `failed` by SFrame cause (`SFrameErrorCause` of @volly/crypto, e.g. "authentication", "unknown-kid"). */
  failedByCause: Record<string, number>;
}

/**
 * The SFrame state of one call for this device (RFC 9605 §5.2 over the conversation's MLS group):
 * an {@link MlsSFrameContext} loaded with the call's keys of the current epoch, re-keyed when
 * `client.calls.epochChanges` fires for the conversation (the previous epoch is retired
 * {@link RETIRE_PREVIOUS_EPOCH_AFTER_MS} later), and counts of what was sealed, opened and dropped.
 * Frames carry no SFrame metadata (empty AAD beyond the header, §4.4.3), as the browser's encoded
 * transform seals them.
 */
export class CallMediaKeys {
  /** The counts so far (live object). */
  readonly counts: CallFrameCounts = { sent: 0, decrypted: 0, failed: 0, failedByCause: {} };
  private readonly context = new MlsSFrameContext();
  /**
   * Installs the epochs' keys into the context and retires the previous one later. A failed
   * re-key (removed from the conversation, a transient failure) keeps the held epochs until they
   * retire; frames of epochs this device cannot derive are counted as failures.
   */
  private readonly schedule: CallKeySchedule;
  private stopListening: (() => void) | undefined;

  private constructor(keys: MediaKeySource, conversationId: string, callId: string) {
    this.schedule = new CallKeySchedule({
      fetchKeys: () => keys(conversationId, callId),
      install: (epoch) => this.context.setEpoch(epoch),
      retire: (epoch) => this.context.retireEpoch(epoch),
      retireAfterMs: RETIRE_PREVIOUS_EPOCH_AFTER_MS,
    });
  }

  /**
   * Loads the call's keys of the conversation's current epoch and follows its epoch changes.
   *
   * @param client the participant's SDK client (for `calls.epochChanges`)
   * @param conversationId the call's conversation
   * @param callId the call's id (the exporter context, see `sframeMlsEpoch`)
   * @param keys the key source (default `client.calls.mediaKeys`)
   * @throws what the key source throws (VOLLY_E_NOT_GROUP_MEMBER, …)
   */
  static async open(
    client: VollyClient,
    conversationId: string,
    callId: string,
    keys: MediaKeySource = (conv, call) => client.calls.mediaKeys(conv, call),
  ): Promise<CallMediaKeys> {
    const media = new CallMediaKeys(keys, conversationId, callId);
    await media.schedule.start();
    media.stopListening = client.calls.epochChanges.add((change) => {
      if (change.conversationId === conversationId) void media.schedule.refresh();
    });
    return media;
  }

  /**
   * Seals one outgoing Opus frame (RFC 9605 §4.4.3) with this device's key in the newest epoch.
   *
   * @throws SFrameError "no-key" / "counter-exhausted"
   */
  async seal(frame: Uint8Array): Promise<Uint8Array> {
    const sealed = await this.context.encrypt(frame);
    this.counts.sent += 1;
    return sealed;
  }

  /**
   * Opens one received RTP payload (RFC 9605 §4.4.4). A frame that does not open is counted by
   * cause and `undefined` is returned: it must be dropped, never played.
   */
  async open(payload: Uint8Array): Promise<{ frame: Uint8Array; senderIndex: number } | undefined> {
    try {
      const opened = await this.context.decrypt(payload);
      this.counts.decrypted += 1;
      return { frame: opened.plaintext, senderIndex: opened.senderIndex };
    } catch (err) {
      const cause = String((err as { details?: { cause?: unknown } }).details?.cause ?? "other");
      this.counts.failed += 1;
      this.counts.failedByCause[cause] = (this.counts.failedByCause[cause] ?? 0) + 1;
      return undefined;
    }
  }

  /** Stops following epoch changes and forgets the timers; the context's keys go with it. */
  close(): void {
    this.stopListening?.();
    this.schedule.dispose();
  }
}
