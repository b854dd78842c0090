/**
 * This device's media in one voice channel: the microphone, the channel's frame-crypto worker
 * (`../calls/media-encryption.ts`) with its own call's keys and every other publisher's, and the
 * Janus room (`voice-room.ts`). Keys come from `client.calls.mediaKeys(channel's conversation,
 * callId)` (RFC 9605 §5.2); {@link VoiceMedia.rekey} fetches them again after the channel's MLS
 * epoch changed, so a member who left the group cannot open what follows. The camera and a shared
 * screen (`voice-local-video.ts`) go out on the same connection, sealed the same way.
 */
import { CallKeySchedule } from "@volly/client/call-key-schedule";
import type { SFrameMlsEpoch } from "@volly/crypto/sframe";
import type { VoiceJoinResponse } from "@volly/protocol";
import { CallMediaEncryption } from "../calls/media-encryption.js";
import { newVoiceCallId, parseVoiceDisplay, voiceDisplay } from "./voice-identity.js";
import { VoiceLocalVideo } from "./voice-local-video.js";
import { type RemoteFeed, VoiceRoomSession } from "./voice-room.js";

/** Another participant's media, named. */
export interface VoiceFeed extends RemoteFeed {
  accountId: string;
}

/** What {@link VoiceMedia.start} needs. */
export interface VoiceMediaOptions {
  channelId: string;
  /** This account (announced to the others). */
  accountId: string;
  /** The server's answer to joining. */
  join: VoiceJoinResponse;
  /** `client.calls.mediaKeys` on the channel's conversation. */
  mediaKeys(callId: string): Promise<SFrameMlsEpoch>;
  /** The feeds changed (one came or went). */
  onFeeds(feeds: VoiceFeed[]): void;
  /** The room or the connection to the SFU went away. */
  onLost(): void;
  /** This device's camera or screen share started or stopped. */
  onLocalVideo(): void;
}

/** One joined voice channel's media, until {@link close}. */
export class VoiceMedia {
  private room: VoiceRoomSession | undefined;
  private readonly feeds = new Map<number, VoiceFeed>();
  /** Each call id's keys (this join's and every publisher's), re-keyed together on {@link rekey}. */
  private readonly keys = new Map<string, CallKeySchedule>();
  /** This device's camera and shared screen. */
  readonly video: VoiceLocalVideo;

  /** The MLS epoch whose keys seal or open `callId`'s frames now (installed last), if any. */
  installedEpoch(callId: string): number | undefined {
    return this.keys.get(callId)?.installedEpoch;
  }

  private constructor(
    readonly callId: string,
    readonly encryption: CallMediaEncryption,
    readonly local: MediaStream,
    private readonly options: VoiceMediaOptions,
  ) {
    this.video = new VoiceLocalVideo(
      async (track) => {
        await this.room?.setVideo(track);
      },
      () => options.onLocalVideo(),
    );
  }

  /**
   * Opens the microphone, takes this join's keys and joins the room.
   * @throws DOMException NotAllowedError (microphone refused); VollyError VOLLY_E_SFU_UNAVAILABLE,
   *   VOLLY_E_SFU_REFUSED, VOLLY_E_NOT_GROUP_MEMBER (no keys)
   */
  static async start(options: VoiceMediaOptions): Promise<VoiceMedia> {
    const callId = newVoiceCallId(options.channelId);
    const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    const encryption = new CallMediaEncryption(callId);
    const media = new VoiceMedia(callId, encryption, local, options);
    try {
      await media.takeKeys(callId);
      media.room = await VoiceRoomSession.join({
        access: options.join.sfu,
        iceServers: options.join.iceServers as RTCIceServer[],
        encryption,
        local,
        display: voiceDisplay(options.accountId, callId),
        prepareFeed: async (publisher) => {
          const parsed = parseVoiceDisplay(publisher.display, options.channelId);
          if (!parsed) return undefined;
          await media.takeKeys(parsed.callId);
          return parsed.callId;
        },
        onFeed: (feed) => media.addFeed(feed),
        onFeedGone: (id) => {
          media.feeds.delete(id);
          options.onFeeds(media.remoteFeeds());
        },
        onLost: () => options.onLost(),
      });
    } catch (error) {
      media.close();
      throw error;
    }
    return media;
  }

  /** The others' feeds now. */
  remoteFeeds(): VoiceFeed[] {
    return [...this.feeds.values()];
  }

  /** The publishing connection (for getStats). */
  publisher(): RTCPeerConnection | undefined {
    return this.room?.publisher;
  }

  /** Sends silence (`true`) or the microphone again: the track is disabled, nothing is renegotiated. */
  setMuted(muted: boolean): void {
    for (const track of this.local.getAudioTracks()) track.enabled = !muted;
  }

  /**
   * Takes every call id's keys again (the channel's MLS epoch changed): the new keys seal and open
   * from now on, the old go `RETIRE_PREVIOUS_EPOCH_AFTER_MS` later (`CallKeySchedule`). Never
   * rejects: a failed fetch keeps that call id's current keys.
   */
  async rekey(): Promise<void> {
    await Promise.all([...this.keys.values()].map((keys) => keys.refresh()));
  }

  /** Leaves the room, stops the microphone, the camera, the shared screen and the worker. Idempotent. */
  close(): void {
    this.video.stop();
    this.room?.close();
    for (const track of this.local.getTracks()) track.stop();
    this.encryption.close();
    for (const keys of this.keys.values()) keys.dispose();
    this.keys.clear();
    this.feeds.clear();
  }

  private addFeed(feed: RemoteFeed): void {
    const parsed = parseVoiceDisplay(feed.display, this.options.channelId);
    if (!parsed) return;
    this.feeds.set(feed.id, { ...feed, accountId: parsed.accountId });
    this.options.onFeeds(this.remoteFeeds());
  }

  /**
   * Installs `callId`'s keys: the first time through a new key schedule (its failure leaves none,
   * so a later call tries again), after that by refreshing it.
   * @throws the SDK's errors of `mediaKeys` (first time only)
   */
  private async takeKeys(callId: string): Promise<void> {
    const known = this.keys.get(callId);
    if (known) return known.refresh();
    const keys = new CallKeySchedule({
      fetchKeys: () => this.options.mediaKeys(callId),
      install: (epoch) => this.encryption.setEpoch(epoch, callId),
      retire: (epoch) => this.encryption.retireEpoch(epoch, callId),
    });
    this.keys.set(callId, keys);
    try {
      await keys.start();
    } catch (error) {
      keys.dispose();
      if (this.keys.get(callId) === keys) this.keys.delete(callId);
      throw error;
    }
  }
}
