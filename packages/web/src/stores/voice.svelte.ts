/**
 * Community voice channels in the web app (docs/communities.md "Voice channels"): who is in which
 * voice channel of the open community (VOICE_STATE_UPDATE), the channel this device is in with its
 * media (`lib/voice/voice-media.ts`), self mute and deafen, who is speaking, a volume per
 * participant, this device's camera and screen share, and a moderator's server mute, move and
 * disconnect. Being moved re-joins the new
 * channel's room; being disconnected (or the room going away) leaves.
 */
import type { VoiceState, VoiceStateUpdateEvent } from "@volly/protocol";
import { mediaEncryptionSupported } from "../lib/calls/media-encryption.js";
import { describeError } from "../lib/errors.js";
import { onSdkEvent, sdk } from "../lib/sdk.js";
import { speakingNow } from "../lib/voice/voice-levels.js";
import { type VoiceFeed, VoiceMedia } from "../lib/voice/voice-media.js";
import { probeVoiceMedia } from "../lib/voice/voice-probe.js";
import { session } from "./session.svelte.js";

/** How often the speaking indicators are refreshed (ms). */
const LEVEL_POLL_MS = 250;

/** The voice channel this device is in. */
export interface JoinedVoice {
  communityId: string;
  channelId: string;
  conversationId: string;
}

/** What the voice debug handle (`window.__vollyVoice`, only with the calls debug flag) offers tests. */
export interface VoiceDebugHandle {
  /** Per remote feed: its account, inbound audio energy and level, and the worker's counts for its call id. */
  probe(): Promise<unknown>;
  /** The receiving side swaps every feed's keys for random ones (a subscriber without the key). */
  forgetReceiveKeys(): void;
}

class VoiceStore {
  /** The voice states of the community last loaded (all its voice channels). */
  states = $state<VoiceState[]>([]);
  statesOf = $state<string | undefined>();
  joined = $state<JoinedVoice | undefined>();
  /** Joining in progress (the channel id). */
  joining = $state<string | undefined>();
  selfMute = $state(false);
  selfDeaf = $state(false);
  /** Account ids speaking now. */
  speaking = $state<string[]>([]);
  /** Volume per account id, 0 … 2 (1 = as received); absent: 1. */
  volumes = $state<Record<string, number>>({});
  /** The others' audio and video, for the audio elements and the video tiles. */
  feeds = $state.raw<VoiceFeed[]>([]);
  /** Whether this device's camera is on. */
  cameraOn = $state(false);
  /** Whether this device shares a screen. */
  sharingScreen = $state(false);
  /** What this device sends as video (camera or screen), for its own tile. */
  localVideo = $state.raw<MediaStream | undefined>();
  error = $state<string | undefined>();
  announcement = $state("");

  private media: VoiceMedia | undefined;
  /** A camera or screen change is under way (a second click waits for it to end). */
  private videoBusy = false;
  private poll: ReturnType<typeof setInterval> | undefined;

  constructor() {
    onSdkEvent((event) => {
      if (event.type === "voice-state") this.onState(event.event);
      else if (event.type === "call-epoch" && event.conversationId === this.joined?.conversationId)
        void this.media?.rekey().catch(() => undefined);
    });
    try {
      if (localStorage.getItem("volly.debug.calls") === "1") {
        const handle: VoiceDebugHandle = {
          probe: () => this.probe(),
          forgetReceiveKeys: () => {
            for (const feed of this.media?.remoteFeeds() ?? [])
              this.media?.encryption.forgetReceiveKeys(feed.callId);
          },
        };
        (globalThis as unknown as { __vollyVoice: VoiceDebugHandle }).__vollyVoice = handle;
      }
    } catch {
      // no storage: no debug handle
    }
  }

  /** The states in one channel, earliest joined first. */
  inChannel(channelId: string): VoiceState[] {
    return this.states.filter((s) => s.channelId === channelId).sort((a, b) => a.joinedAt - b.joinedAt);
  }

  /** Loads who is in the voice channels of `communityId`. */
  async load(communityId: string): Promise<void> {
    try {
      const states = await sdk.session.voiceStates(communityId);
      this.states = states;
      this.statesOf = communityId;
    } catch {
      // no SFU on this server: no voice states
      this.states = [];
      this.statesOf = communityId;
    }
  }

  /** Joins a voice channel (leaving the one this device is in). */
  async join(communityId: string, channelId: string): Promise<void> {
    if (this.joining) return;
    this.error = undefined;
    if (!mediaEncryptionSupported()) {
      this.error = "This browser cannot encrypt call media, so it cannot join voice channels.";
      return;
    }
    const me = session.me;
    if (!me) return;
    this.joining = channelId;
    this.stopMedia();
    try {
      const [join, conversationId] = await Promise.all([
        sdk.session.voiceJoin(communityId, channelId),
        sdk.communities.conversationOf(channelId),
      ]);
      this.upsert(join.state);
      this.selfMute = join.state.selfMute;
      this.selfDeaf = join.state.selfDeaf;
      const media = await VoiceMedia.start({
        channelId,
        accountId: me.accountId,
        join,
        mediaKeys: (callId) => sdk.calls.mediaKeys(conversationId, callId),
        onFeeds: (feeds) => {
          if (this.media === media) this.feeds = feeds;
        },
        onLost: () => {
          if (this.media === media) void this.leave();
        },
        onLocalVideo: () => {
          if (this.media === media) this.showLocalVideo(media);
        },
      });
      this.media = media;
      media.setMuted(this.selfMute || this.selfDeaf || join.state.serverMute);
      this.joined = { communityId, channelId, conversationId };
      this.feeds = media.remoteFeeds();
      this.poll = setInterval(() => void this.refreshSpeaking(), LEVEL_POLL_MS);
      this.announcement = "Joined the voice channel.";
    } catch (err) {
      this.error = describeError(err);
      this.stopMedia();
      await sdk.session.voiceLeave(communityId).catch(() => undefined);
    } finally {
      this.joining = undefined;
    }
  }

  /** Leaves the voice channel this device is in. */
  async leave(): Promise<void> {
    const joined = this.joined;
    this.stopMedia();
    if (!joined) return;
    this.announcement = "Left the voice channel.";
    await sdk.session.voiceLeave(joined.communityId).catch((err) => {
      this.error = describeError(err);
    });
  }

  /** Mutes or unmutes this device's microphone (and tells the others). */
  async toggleMute(): Promise<void> {
    const joined = this.joined;
    if (!joined) return;
    this.selfMute = !this.selfMute;
    this.media?.setMuted(this.selfMute || this.selfDeaf);
    await this.patchSelf(joined.communityId, { selfMute: this.selfMute });
  }

  /** Deafens (hear nothing, send nothing) or undeafens. */
  async toggleDeafen(): Promise<void> {
    const joined = this.joined;
    if (!joined) return;
    this.selfDeaf = !this.selfDeaf;
    this.media?.setMuted(this.selfMute || this.selfDeaf);
    await this.patchSelf(joined.communityId, { selfDeaf: this.selfDeaf });
  }

  /** Turns this device's camera on or off in the voice channel (the others see it as a tile). */
  async toggleCamera(): Promise<void> {
    const media = this.media;
    if (!media || this.videoBusy) return;
    this.videoBusy = true;
    try {
      await media.video.setCamera(!media.video.cameraOn);
      this.announcement = media.video.cameraOn ? "Camera on." : "Camera off.";
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.videoBusy = false;
    }
  }

  /** Shares a screen (the browser asks which) in the voice channel, or stops sharing. */
  async toggleScreenShare(): Promise<void> {
    const media = this.media;
    if (!media || this.videoBusy) return;
    this.videoBusy = true;
    try {
      await media.video.setScreenShare(!media.video.sharingScreen);
      this.announcement = media.video.sharingScreen ? "Sharing your screen." : "Stopped sharing.";
    } catch (err) {
      if ((err as { name?: unknown }).name !== "NotAllowedError") this.error = describeError(err);
    } finally {
      this.videoBusy = false;
    }
  }

  /** Sets one participant's volume (0 … 2) on this device. */
  setVolume(accountId: string, volume: number): void {
    this.volumes = { ...this.volumes, [accountId]: Math.min(2, Math.max(0, volume)) };
  }

  /** A moderator's server mute, move (`channelId`) or disconnect (`channelId: null`). */
  async moderate(
    communityId: string,
    accountId: string,
    change: { serverMute?: boolean; channelId?: string | null },
  ): Promise<void> {
    try {
      await sdk.session.voiceModerate(communityId, accountId, change);
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async patchSelf(communityId: string, change: { selfMute?: boolean; selfDeaf?: boolean }) {
    try {
      this.upsert(await sdk.session.voiceSelf(communityId, change));
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private onState(event: VoiceStateUpdateEvent): void {
    if (event.communityId === this.statesOf) {
      this.states = this.states.filter((s) => s.accountId !== event.accountId);
      if (event.state) this.upsert(event.state);
    }
    const joined = this.joined;
    if (!joined || event.communityId !== joined.communityId || event.accountId !== session.me?.accountId)
      return;
    if (event.state === null) {
      // disconnected by a moderator, or this account left from another device
      this.stopMedia();
      this.announcement = "You were disconnected from the voice channel.";
    } else if (event.state.channelId !== joined.channelId) {
      this.announcement = "You were moved to another voice channel.";
      void this.join(joined.communityId, event.state.channelId);
    } else {
      this.media?.setMuted(event.state.selfMute || event.state.selfDeaf || event.state.serverMute);
    }
  }

  private upsert(state: VoiceState): void {
    this.states = [...this.states.filter((s) => s.accountId !== state.accountId), state];
  }

  private async refreshSpeaking(): Promise<void> {
    const media = this.media;
    const me = session.me;
    if (!media || !me) return;
    const speaking = await speakingNow(media.remoteFeeds(), {
      accountId: me.accountId,
      pc: media.publisher(),
      muted: this.selfMute || this.selfDeaf,
    }).catch(() => new Set<string>());
    if (this.media !== media) return;
    const next = [...speaking].sort();
    if (next.join() !== this.speaking.join()) this.speaking = next;
  }

  private showLocalVideo(media: VoiceMedia): void {
    this.cameraOn = media.video.cameraOn;
    this.sharingScreen = media.video.sharingScreen;
    const track = media.video.current;
    this.localVideo = track ? new MediaStream([track]) : undefined;
  }

  private stopMedia(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.media?.close();
    this.media = undefined;
    this.joined = undefined;
    this.feeds = [];
    this.speaking = [];
    this.cameraOn = false;
    this.sharingScreen = false;
    this.localVideo = undefined;
  }

  private async probe(): Promise<unknown> {
    return this.media ? probeVoiceMedia(this.media) : { joined: false, feeds: [] };
  }
}

export const voice = new VoiceStore();
