/**
 * One participant's media in a voice channel's Janus VideoRoom (docs/communities.md "Voice
 * channels"): it joins as a publisher with the participant id and room token the server issued,
 * publishes its microphone (and, when turned on, its camera or a screen: `voice-video-sender.ts`)
 * on one send-only PeerConnection, and subscribes to every other publisher on a receive-only
 * PeerConnection each (`voice-subscriber.ts`). When a publisher's video comes or goes (Janus lists
 * its streams anew), its subscription is made again from scratch, so what this side receives
 * always matches what it sends. Every sender and receiver is behind the channel's SFrame transforms
 * (`../calls/media-encryption.ts`, RFC 9605): Janus, created with `require_e2ee`, forwards
 * ciphertext only, and the session descriptions say so (`jsep.e2ee`).
 */
import {
  matches,
  type VideoRoomEvent,
  VideoRoomEvent as VideoRoomEventSchema,
  VideoRoomGone,
  VideoRoomJoined,
  type VideoRoomPublisher,
  type VoiceSfuAccess,
} from "@volly/protocol";
import type { CallMediaEncryption } from "../calls/media-encryption.js";
import { type HandleListener, JanusSocket } from "./janus-socket.js";
import { FeedSubscription, type RemoteFeed, unexpectedAnswer as unexpected } from "./voice-subscriber.js";
import { VoiceVideoSender } from "./voice-video-sender.js";

export type { RemoteFeed } from "./voice-subscriber.js";

/** What a {@link VoiceRoomSession} needs. */
export interface VoiceRoomOptions {
  /** The join answer's SFU access (URL, room, participant id, tokens). */
  access: VoiceSfuAccess;
  iceServers: RTCIceServer[];
  /** The channel's media encryption (its worker and keys). */
  encryption: CallMediaEncryption;
  /** This side's microphone. */
  local: MediaStream;
  /** Sent as `display`: tells the others who this is and which call id seals its frames. */
  display: string;
  /**
   * Before subscribing to a publisher: hands its keys to the worker and answers the call id its
   * frames are sealed under (undefined: do not subscribe, e.g. a `display` that does not parse).
   */
  prepareFeed(publisher: VideoRoomPublisher): Promise<string | undefined>;
  /** A publisher's media arrived (again, with or without video, after it turned video on or off). */
  onFeed(feed: RemoteFeed): void;
  /** A publisher left or stopped publishing. */
  onFeedGone(id: number): void;
  /** The room or the connection went away (not after {@link VoiceRoomSession.close}). */
  onLost(): void;
}

const E2EE = { e2ee: true } as const;

/** A joined VideoRoom: publishing and subscribing until {@link close}. */
export class VoiceRoomSession {
  /** The publishing connection (read for getStats: this side's audio level). */
  publisher: RTCPeerConnection | undefined;
  private publisherHandle = 0;
  private video: VoiceVideoSender | undefined;
  private readonly feeds = new Map<number, FeedSubscription>();
  /** Per publisher id: its subscription changes, one after the other. */
  private readonly pendingSync = new Map<number, Promise<void>>();
  private closed = false;

  private constructor(
    private readonly janus: JanusSocket,
    private readonly options: VoiceRoomOptions,
  ) {}

  /**
   * Connects to the SFU, joins the room, publishes and subscribes to the publishers already there.
   * @throws VollyError VOLLY_E_SFU_UNAVAILABLE, VOLLY_E_SFU_REFUSED (e.g. 433: the token is not allowed)
   */
  static async join(options: VoiceRoomOptions): Promise<VoiceRoomSession> {
    const janus = await JanusSocket.open(options.access.url, options.access.gatewayToken);
    const session = new VoiceRoomSession(janus, options);
    janus.onclose = () => session.lost();
    try {
      await session.publish();
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /** The feeds received now. */
  remoteFeeds(): RemoteFeed[] {
    return [...this.feeds.values()].map((s) => s.feed);
  }

  /**
   * Sends `track` (camera or screen) as this participant's video, or no video (`null`).
   * @throws VollyError VOLLY_E_SFU_REFUSED, VOLLY_E_SFU_UNAVAILABLE (the renegotiation failed)
   */
  async setVideo(track: MediaStreamTrack | null): Promise<void> {
    await this.video?.set(track);
  }

  /** Hangs up every connection and leaves the room. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.publisher?.close();
    for (const subscription of this.feeds.values()) subscription.close();
    this.feeds.clear();
    this.janus.close();
  }

  private lost(): void {
    if (this.closed) return;
    this.close();
    this.options.onLost();
  }

  private async publish(): Promise<void> {
    const { access } = this.options;
    const handle = await this.janus.attach((event) => this.onPublisherEvent(event));
    this.publisherHandle = handle;
    const joined = await this.janus.send(handle, {
      request: "join",
      ptype: "publisher",
      room: access.room,
      id: access.participantId,
      token: access.token,
      display: this.options.display,
    });
    if (!matches(VideoRoomJoined, joined.data)) throw unexpected("join");
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers, bundlePolicy: "max-bundle" });
    this.publisher = pc;
    this.video = new VoiceVideoSender(pc, this.options.local, this.options.encryption, () =>
      this.renegotiate(),
    );
    pc.onicecandidate = (ev) => this.janus.trickle(handle, ev.candidate?.toJSON() ?? null);
    for (const track of this.options.local.getAudioTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [this.options.local] });
      // before any description: Chromium applies a transform set later to nothing already made
      this.options.encryption.protectSender(transceiver.sender, "audio");
    }
    await pc.setLocalDescription(await pc.createOffer());
    const offer = pc.localDescription as RTCSessionDescription;
    const published = await this.janus.send(
      handle,
      { request: "publish", audio: true, video: false },
      { type: "offer", sdp: offer.sdp, ...E2EE },
    );
    if (published.jsep?.type !== "answer") throw unexpected("publish");
    await pc.setRemoteDescription(published.jsep);
    for (const publisher of joined.data.publishers) this.sync(publisher);
  }

  /** Offers the publishing connection's new description (`configure`) and applies Janus's answer. */
  private async renegotiate(): Promise<void> {
    const pc = this.publisher;
    if (!pc || this.closed) return;
    await pc.setLocalDescription(await pc.createOffer());
    const offer = pc.localDescription as RTCSessionDescription;
    const configured = await this.janus.send(
      this.publisherHandle,
      { request: "configure" },
      { type: "offer", sdp: offer.sdp, ...E2EE },
    );
    if (configured.jsep?.type !== "answer") throw unexpected("configure");
    await pc.setRemoteDescription(configured.jsep);
  }

  private onPublisherEvent(event: Parameters<HandleListener>[0]): void {
    if (!("plugindata" in event)) return;
    const data = event.plugindata.data;
    if (matches(VideoRoomGone, data)) {
      this.lost();
      return;
    }
    if (!matches(VideoRoomEventSchema, data)) return;
    this.onRoomEvent(data);
  }

  private onRoomEvent(data: VideoRoomEvent): void {
    for (const publisher of data.publishers ?? []) this.sync(publisher);
    for (const gone of [data.leaving, data.unpublished, data.kicked]) {
      if (typeof gone === "number") this.unsubscribe(gone);
    }
  }

  /**
   * Subscribes to a publisher listed by Janus, or subscribes again when the video it sends changed
   * (its `streams` list active video under other mids than before).
   */
  private sync(publisher: VideoRoomPublisher): void {
    const id = publisher.id;
    if (id === this.options.access.participantId) return;
    const next = (this.pendingSync.get(id) ?? Promise.resolve()).then(async () => {
      if (this.closed) return;
      const entry = this.feeds.get(id);
      const videoMids = activeVideoMids(publisher);
      if (entry && (publisher.streams === undefined || entry.videoMids === videoMids)) return;
      if (entry) this.drop(id);
      await this.subscribe(publisher, videoMids);
    });
    const settled = next.catch(() => undefined);
    this.pendingSync.set(id, settled);
    void settled.then(() => {
      if (this.pendingSync.get(id) === settled) this.pendingSync.delete(id);
    });
  }

  private async subscribe(publisher: VideoRoomPublisher, videoMids: string): Promise<void> {
    const { access, encryption, iceServers } = this.options;
    const context = { janus: this.janus, access, encryption, iceServers };
    const subscription = new FeedSubscription(context, publisher, videoMids);
    this.feeds.set(publisher.id, subscription);
    try {
      const callId = await this.options.prepareFeed(publisher);
      if (callId === undefined) throw unexpected("a publisher's display");
      await subscription.start(callId, () => {
        if (this.feeds.get(publisher.id) === subscription) this.unsubscribe(publisher.id);
      });
      if (this.feeds.get(publisher.id) !== subscription) return;
      this.options.onFeed(subscription.feed);
    } catch {
      // the publisher left meanwhile, or the room is gone: nothing to receive
      if (this.feeds.get(publisher.id) === subscription) this.unsubscribe(publisher.id);
      else subscription.close();
    }
  }

  private unsubscribe(id: number): void {
    if (this.drop(id)) this.options.onFeedGone(id);
  }

  /** Hangs up the subscription to `id` (whether there was one). */
  private drop(id: number): boolean {
    const subscription = this.feeds.get(id);
    if (!subscription) return false;
    this.feeds.delete(id);
    subscription.close();
    return true;
  }
}

/** The mids of the video streams `publisher` sends now ("" when none), as one comparable string. */
function activeVideoMids(publisher: VideoRoomPublisher): string {
  return (publisher.streams ?? [])
    .filter((s) => s.type === "video" && s.disabled !== true)
    .map((s) => s.mid ?? "?")
    .join(",");
}
