/**
 * The web app's 1:1 calls: at most one call at a time, its phase and controls for the UI
 * (`components/calls/`). Signaling is the SDK's ephemeral MLS content (`client.calls.signaling`,
 * forwarded by the worker as "call-signal" events), media goes peer to peer on the UI thread
 * (`lib/calls/peer-link.ts`) and is sealed end to end with SFrame keys from the conversation's MLS
 * group (`lib/calls/media-encryption.ts`, re-keyed on "call-epoch" events).
 *
 * Ringing reaches every online device of the callee; the one that accepts sends `call.accept`,
 * which the account's other devices see too and stop ringing. The caller's device records the call
 * in the timeline (`client.calls.record`): "missed" when nobody answered within
 * {@link RING_TIMEOUT_MS} (shorter for tests: `ringTimeoutMs`) or the caller gave up, "declined", or "ended" with the time from the
 * answer to the hang-up.
 *
 * During a call the microphone and camera can be switched (`chooseDevice`: the new track replaces
 * the old on its sender, the SFrame transform stays) and the speaker chosen (`setSinkId` in the
 * view); the connection's quality is measured from getStats (`lib/calls/quality.ts`); when ICE
 * is lost the caller restarts it with a new offer over the same signaling (RFC 8445 §9), and a
 * failed connection that does not come back within {@link FAILED_GRACE_MS} ends the call.
 */
import { CallKeySchedule } from "@volly/client/call-key-schedule";
import type { CallMedia, CallSignalContent } from "@volly/protocol";
import { newId } from "@volly/protocol";
import { inGroupCall } from "../lib/calls/call-busy.js";
import { debugEnabled, RING_TIMEOUT_MS, ringTimeoutMs } from "../lib/calls/call-debug.js";
import {
  type CallDeviceChoices,
  type CallDeviceKind,
  deviceOf,
  listCallDevices,
  openInput,
} from "../lib/calls/devices.js";
import { IceRestartPolicy } from "../lib/calls/ice-restart.js";
import { CallMediaEncryption, mediaEncryptionSupported } from "../lib/calls/media-encryption.js";
import { PeerLink, type PeerSignal } from "../lib/calls/peer-link.js";
import { type CallQuality, QualityMeter } from "../lib/calls/quality.js";
import { captureScreen } from "../lib/calls/screen-share.js";
import { onSdkEvent, sdk } from "../lib/sdk.js";
import type { ReceivedCallSignal, SdkEvent } from "../worker/rpc-types.js";
import { conversations, titleOf } from "./conversations.svelte.js";
import { session } from "./session.svelte.js";

export { RING_TIMEOUT_MS };

/** How often the call view's connection quality is measured (ms). */
const QUALITY_EVERY_MS = 2_000;

/** How long a failed connection gets to come back through an ICE restart before the call ends (ms). */
const FAILED_GRACE_MS = 15_000;

/** Where a call is. */
export type CallPhase = "outgoing" | "incoming" | "connecting" | "active";

/** The call this device is in (or ringing for), as the UI shows it. */
export interface ActiveCall {
  callId: string;
  conversationId: string;
  media: CallMedia;
  direction: "out" | "in";
  phase: CallPhase;
  /** The other side's name (the conversation's title). */
  peerName: string;
  /** When the call was answered (ms since the epoch): the duration counts from here. */
  answeredAt?: number;
  /** When media started flowing (connection "connected"). */
  connectedAt?: number;
  muted: boolean;
  cameraOff: boolean;
  sharingScreen: boolean;
}

/** What the call debug handle (`window.__vollyCall`, only with the debug flag) offers tests. */
export interface CallDebugHandle {
  pc(): RTCPeerConnection | undefined;
  frameStats(): Promise<unknown>;
  forgetReceiveKeys(): void;
  /** Restarts ICE now, as the caller does when the connection is lost. */
  restartIce(): Promise<void>;
  /** How many ICE restarts this device's side of the call began. */
  iceRestarts(): number;
}

/** The non-reactive parts of the current call (media objects). */
interface CallMediaState {
  peerDeviceId?: string;
  local?: MediaStream;
  camera?: MediaStreamTrack;
  screen?: MediaStreamTrack;
  remote: MediaStream;
  encryption?: CallMediaEncryption;
  link?: PeerLink;
  ringTimer?: ReturnType<typeof setTimeout>;
  /** Signals that came before the link existed (an offer racing our own accept). */
  early: ReceivedCallSignal[];
  /** The call's SFrame keys: installed in `encryption`, re-keyed on "call-epoch" events. */
  keys?: CallKeySchedule;
  /** STUN/TURN servers (`client.calls.iceServers()`). */
  iceServers?: RTCIceServer[];
  /** Measures the connection's quality while the link exists. */
  qualityTimer?: ReturnType<typeof setInterval>;
  /** Restarts the link's ICE when it is lost (the caller's side; `lib/calls/ice-restart.ts`). */
  ice?: IceRestartPolicy;
  failTimer?: ReturnType<typeof setTimeout>;
}

/** A fresh media state for a call. */
function freshMedia(peerDeviceId?: string): CallMediaState {
  return { remote: new MediaStream(), early: [], ...(peerDeviceId ? { peerDeviceId } : {}) };
}

class CallStore {
  /** The current call, or undefined. */
  current = $state<ActiveCall | undefined>();
  /** The last thing to announce to screen readers (the ring, the end of a call). */
  announcement = $state("");
  /** Why the last call could not start (shown by the header's call buttons). */
  error = $state<string | undefined>();
  /** The local and remote media of the current call (for the video elements). */
  localStream = $state.raw<MediaStream | undefined>();
  remoteStream = $state.raw<MediaStream | undefined>();
  /** The microphones, cameras and speakers to choose from (listed when a call gets its media). */
  devices = $state.raw<CallDeviceChoices>({ microphones: [], cameras: [], speakers: [] });
  /** The devices in use (`CallDevice.id`; speaker "" is the browser's default output). */
  chosen = $state<{ microphone?: string; camera?: string; speaker: string }>({ speaker: "" });
  /** The connection's last measured quality (getStats), while media flows. */
  quality = $state<CallQuality | undefined>();

  private media: CallMediaState = freshMedia();

  constructor() {
    onSdkEvent((event) => this.onEvent(event));
    navigator.mediaDevices?.addEventListener?.("devicechange", () => {
      if (this.current) void this.refreshDevices();
    });
    if (debugEnabled()) {
      const handle: CallDebugHandle = {
        pc: () => this.media.link?.pc,
        frameStats: async () => this.media.encryption?.stats(),
        forgetReceiveKeys: () => this.media.encryption?.forgetReceiveKeys(),
        restartIce: async () => this.media.ice?.restart(),
        iceRestarts: () => this.media.ice?.restartCount ?? 0,
      };
      (globalThis as unknown as { __vollyCall: CallDebugHandle }).__vollyCall = handle;
    }
  }

  /** Starts a call in a direct conversation: rings every device of the other account. */
  async start(conversationId: string, media: CallMedia, peerName: string): Promise<void> {
    if (this.current) return;
    this.error = undefined;
    if (!mediaEncryptionSupported()) {
      this.error = "This browser cannot encrypt calls end to end (no WebRTC Encoded Transform).";
      return;
    }
    const callId = newId();
    this.current = {
      callId,
      conversationId,
      media,
      direction: "out",
      phase: "outgoing",
      peerName,
      muted: false,
      cameraOff: false,
      sharingScreen: false,
    };
    try {
      await this.prepareMedia(callId, conversationId, media);
      if (this.current?.callId !== callId) return;
      await this.signal({ type: "call.ring", callId, media });
      this.media.ringTimer = setTimeout(() => void this.giveUp(callId), ringTimeoutMs());
      this.announcement = `Calling ${peerName}…`;
    } catch (err) {
      this.error = errorText(err, "The call could not start.");
      this.teardown();
    }
  }

  /** Accepts the ringing call on this device (the others stop ringing). */
  async accept(): Promise<void> {
    const call = this.current;
    if (call?.phase !== "incoming") return;
    call.phase = "connecting";
    call.answeredAt = Date.now();
    try {
      await this.prepareMedia(call.callId, call.conversationId, call.media);
      if (this.current?.callId !== call.callId) return;
      this.createLink();
      await this.signal({ type: "call.accept", callId: call.callId });
      this.announcement = `Connecting to ${call.peerName}…`;
      for (const early of this.media.early.splice(0)) this.onSignal(early);
    } catch (err) {
      this.error = errorText(err, "The call could not be answered.");
      await this.signal({ type: "call.hangup", callId: call.callId, reason: "failed" }).catch(
        () => undefined,
      );
      this.teardown();
    }
  }

  /** Declines the ringing call (every device of this account stops ringing). */
  async decline(): Promise<void> {
    const call = this.current;
    if (call?.phase !== "incoming") return;
    this.teardown(`Declined the call from ${call.peerName}.`);
    await this.signal({ type: "call.decline", callId: call.callId }, call.conversationId).catch(
      () => undefined,
    );
  }

  /** Hangs up (or, while it rings, cancels) the current call. */
  async hangUp(): Promise<void> {
    const call = this.current;
    if (!call) return;
    if (call.phase === "incoming") return this.decline();
    this.teardown(`Call with ${call.peerName} ended.`);
    await this.signal({ type: "call.hangup", callId: call.callId }, call.conversationId).catch(
      () => undefined,
    );
    await this.record(call, call.answeredAt === undefined ? "missed" : "ended");
  }

  /** Mutes or unmutes the microphone. */
  toggleMute(): void {
    const call = this.current;
    if (!call) return;
    call.muted = !call.muted;
    for (const track of this.media.local?.getAudioTracks() ?? []) track.enabled = !call.muted;
  }

  /** Turns the camera off (black frames) or on again. */
  toggleCamera(): void {
    const call = this.current;
    if (!call || !this.media.camera) return;
    call.cameraOff = !call.cameraOff;
    this.media.camera.enabled = !call.cameraOff;
  }

  /** Shares a screen, window or tab instead of the camera, or stops sharing; the call goes on. */
  async toggleScreenShare(): Promise<void> {
    const call = this.current;
    const link = this.media.link;
    if (!call || !link || call.media !== "video") return;
    if (call.sharingScreen) {
      await this.stopScreenShare();
      return;
    }
    try {
      const track = await captureScreen(() => void this.stopScreenShare());
      if (!track) return;
      this.media.screen = track;
      await link.replaceVideo(track);
      call.sharingScreen = true;
      this.localStream = new MediaStream([track]);
    } catch (err) {
      this.error = errorText(err, "The screen could not be shared.");
    }
  }

  private async stopScreenShare(): Promise<void> {
    const call = this.current;
    const screen = this.media.screen;
    this.media.screen = undefined;
    screen?.stop();
    if (!call?.sharingScreen) return;
    call.sharingScreen = false;
    await this.media.link?.replaceVideo(this.media.camera ?? null);
    this.localStream = this.media.local;
  }

  private onEvent(event: SdkEvent): void {
    if (event.type === "call-signal") this.onSignal(event.received);
    else if (event.type === "call-epoch") void this.onEpoch(event.conversationId);
  }

  private onSignal(received: ReceivedCallSignal): void {
    const me = session.me;
    if (!me) return;
    const { signal } = received;
    const fromOwnAccount = received.fromAccountId === me.accountId;
    const call = this.current;
    if (signal.type === "call.ring") {
      // busy: the caller's ring times out; a group's ring is a group call (group-calls.svelte.ts)
      if (fromOwnAccount || call || inGroupCall() || isGroupConversation(received.conversationId)) return;
      this.ring(received, signal.callId, signal.media);
      return;
    }
    if (!call || call.callId !== signal.callId || call.conversationId !== received.conversationId) return;
    if (fromOwnAccount) {
      // another device of this account answered or declined: stop ringing here
      if (call.phase === "incoming" && (signal.type === "call.accept" || signal.type === "call.decline")) {
        this.teardown(
          signal.type === "call.accept" ? "Answered on another device." : "Declined on another device.",
        );
      }
      return;
    }
    void this.onPeerSignal(call, received, signal).catch((err: unknown) => {
      this.error = errorText(err, "The call failed.");
      void this.hangUp();
    });
  }

  private ring(received: ReceivedCallSignal, callId: string, media: CallMedia): void {
    this.media = freshMedia(received.fromDeviceId);
    const summary = conversations.summaries.find((s) => s.conversation.id === received.conversationId);
    const peerName = summary ? titleOf(summary.conversation) : received.from;
    this.current = {
      callId,
      conversationId: received.conversationId,
      media,
      direction: "in",
      phase: "incoming",
      peerName,
      muted: false,
      cameraOff: false,
      sharingScreen: false,
    };
    this.announcement = `Incoming ${media === "video" ? "video call" : "call"} from ${peerName}`;
    this.media.ringTimer = setTimeout(() => {
      if (this.current?.callId === callId && this.current.phase === "incoming") {
        this.teardown(`Missed call from ${peerName}.`);
      }
    }, ringTimeoutMs() + 5_000);
  }

  private async onPeerSignal(
    call: ActiveCall,
    received: ReceivedCallSignal,
    signal: CallSignalContent,
  ): Promise<void> {
    switch (signal.type) {
      case "call.accept":
        if (call.direction !== "out" || call.phase !== "outgoing") return;
        clearTimeout(this.media.ringTimer);
        this.media.peerDeviceId = received.fromDeviceId;
        call.phase = "connecting";
        call.answeredAt = Date.now();
        this.announcement = `${call.peerName} answered. Connecting…`;
        await this.createLink().offer();
        return;
      case "call.decline":
        if (call.direction !== "out" || call.phase !== "outgoing") return;
        this.teardown(`${call.peerName} declined the call.`);
        await this.record(call, "declined");
        return;
      case "call.hangup":
        if (call.direction === "in" && received.fromDeviceId !== this.media.peerDeviceId) return;
        if (call.direction === "out" && this.media.peerDeviceId !== received.fromDeviceId) return;
        this.teardown(call.phase === "incoming" ? `Missed call from ${call.peerName}.` : "The call ended.");
        if (call.direction === "out") await this.record(call, "ended");
        return;
      case "call.sdp":
      case "call.ice":
        if (received.fromDeviceId !== this.media.peerDeviceId) return;
        if (!this.media.link) {
          this.media.early.push(received);
          return;
        }
        if (signal.type === "call.sdp") await this.media.link.onDescription(signal.description);
        else if (signal.candidate) await this.media.link.onCandidate(signal.candidate);
        return;
    }
  }

  /** Opens the microphone (and camera), the frame-crypto worker with the call's keys. */
  private async prepareMedia(callId: string, conversationId: string, media: CallMedia): Promise<void> {
    if (this.current?.direction === "out") this.media = freshMedia();
    const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: media === "video" });
    this.media.local = local;
    this.media.camera = local.getVideoTracks()[0];
    const encryption = new CallMediaEncryption(callId);
    this.media.encryption = encryption;
    const keys = new CallKeySchedule({
      fetchKeys: () => sdk.calls.mediaKeys(conversationId, callId),
      install: (epoch) => encryption.setEpoch(epoch),
      retire: (epoch) => encryption.retireEpoch(epoch),
    });
    this.media.keys = keys;
    const [, iceServers] = await Promise.all([
      keys.start(),
      sdk.calls.iceServers().catch((): RTCIceServer[] => []),
    ]);
    this.media.iceServers = iceServers as RTCIceServer[];
    this.localStream = local;
    this.remoteStream = this.media.remote;
    this.chosen.microphone = deviceOf(local.getAudioTracks()[0]);
    this.chosen.camera = deviceOf(this.media.camera);
    void this.refreshDevices();
  }

  /** Lists the microphones, cameras and speakers again (the settings opened, a device came or went). */
  async refreshDevices(): Promise<void> {
    this.devices = await listCallDevices().catch(() => this.devices);
  }

  /**
   * Uses another microphone or camera in the call — the new track replaces the old on its sender
   * (`RTCRtpSender.replaceTrack`: no renegotiation, the SFrame transform stays) — or plays the
   * other side on another speaker (the call view's `setSinkId`). While a screen is shared, a new
   * camera is kept for when sharing stops. Errors land in {@link error}.
   */
  async chooseDevice(kind: CallDeviceKind, deviceId: string): Promise<void> {
    const call = this.current;
    if (!call) return;
    if (kind === "speaker") {
      this.chosen.speaker = deviceId;
      return;
    }
    const local = this.media.local;
    if (!local || (kind === "camera" && call.media !== "video")) return;
    try {
      const track = await openInput(kind, deviceId);
      if (this.current?.callId !== call.callId || this.media.local !== local) {
        track.stop();
        return;
      }
      const old = kind === "microphone" ? local.getAudioTracks()[0] : this.media.camera;
      track.enabled = kind === "microphone" ? !call.muted : !call.cameraOff;
      if (kind === "microphone") await this.media.link?.replaceTrack("audio", track);
      else if (!call.sharingScreen) await this.media.link?.replaceTrack("video", track);
      if (old) {
        local.removeTrack(old);
        old.stop();
      }
      local.addTrack(track);
      if (kind === "camera") this.media.camera = track;
      this.chosen[kind] = deviceOf(track) ?? deviceId;
      if (!call.sharingScreen) this.localStream = new MediaStream(local.getTracks());
    } catch (err) {
      this.error = errorText(err, `The ${kind} could not be switched.`);
    }
  }

  private createLink(): PeerLink {
    const call = this.current;
    const encryption = this.media.encryption;
    const local = this.media.local;
    if (!call || !encryption || !local) throw new Error("The call's media is not ready.");
    const callId = call.callId;
    const link = new PeerLink({
      iceServers: this.media.iceServers ?? [],
      encryption,
      local,
      remote: this.media.remote,
      send: (signal) => void this.sendPeer(callId, signal),
      onState: (state) => this.onConnectionState(callId, state),
      onIceState: (state) => ice.onIceState(state),
    });
    // the caller's side restarts ICE (a new offer over the call signaling); the callee answers
    const ice = new IceRestartPolicy(link, {
      restarts: () => this.current?.callId === callId && this.current.direction === "out",
      onError: (err) => {
        this.error = errorText(err, "The call's connection could not be restarted.");
      },
    });
    this.media.link = link;
    this.media.ice = ice;
    const meter = new QualityMeter(link.pc);
    this.media.qualityTimer = setInterval(() => {
      void meter
        .measure()
        .then((quality) => {
          if (this.media.link === link) this.quality = quality;
        })
        .catch(() => undefined); // the connection closed meanwhile
    }, QUALITY_EVERY_MS);
    return link;
  }

  private async sendPeer(callId: string, signal: PeerSignal): Promise<void> {
    const toDevice = this.media.peerDeviceId;
    if (!toDevice || this.current?.callId !== callId) return;
    await this.signal({ ...signal, callId, toDevice }).catch(() => undefined);
  }

  private onConnectionState(callId: string, state: RTCPeerConnectionState): void {
    const call = this.current;
    if (!call || call.callId !== callId) return;
    if (state === "connected") {
      clearTimeout(this.media.failTimer);
      this.media.failTimer = undefined;
      if (call.phase !== "active") {
        call.phase = "active";
        call.connectedAt = Date.now();
        this.announcement = `In a call with ${call.peerName}.`;
      }
    } else if (state === "failed" && !this.media.failTimer) {
      // the caller restarts ICE (onIceState); the call ends if that does not bring it back
      this.announcement = "The call's connection was lost. Reconnecting…";
      this.media.failTimer = setTimeout(() => {
        if (this.current?.callId !== callId || this.media.link?.pc.connectionState === "connected") return;
        this.error = "The call's connection failed.";
        void this.hangUp();
      }, FAILED_GRACE_MS);
    }
  }

  /**
   * A conversation's MLS epoch changed: the call in it takes the new keys, the old go
   * `RETIRE_PREVIOUS_EPOCH_AFTER_MS` later (`CallKeySchedule`, RFC 9605 §5.2).
   */
  private async onEpoch(conversationId: string): Promise<void> {
    if (this.current?.conversationId !== conversationId) return;
    await this.media.keys?.refresh();
  }

  private async giveUp(callId: string): Promise<void> {
    const call = this.current;
    if (call?.callId === callId && call.phase === "outgoing") await this.hangUp();
  }

  private signal(
    signal: Parameters<typeof sdk.session.sendCallSignal>[1],
    conversationId = this.current?.conversationId,
  ): Promise<void> {
    if (!conversationId) return Promise.resolve();
    return sdk.session.sendCallSignal(conversationId, signal);
  }

  /** The caller's device records the call in the timeline. */
  private async record(call: ActiveCall, outcome: "missed" | "declined" | "ended"): Promise<void> {
    if (call.direction !== "out") return;
    const durationMs = outcome === "ended" && call.answeredAt ? Date.now() - call.answeredAt : undefined;
    await sdk.calls
      .record(call.conversationId, {
        callId: call.callId,
        media: call.media,
        outcome,
        ...(durationMs === undefined ? {} : { durationMs }),
      })
      .catch(() => undefined);
  }

  /** Ends the call on this device: stops media, closes the connection and the worker. */
  private teardown(announcement?: string): void {
    const m = this.media;
    clearTimeout(m.ringTimer);
    clearInterval(m.qualityTimer);
    m.ice?.close();
    clearTimeout(m.failTimer);
    m.link?.close();
    m.keys?.dispose();
    m.encryption?.close();
    for (const track of m.local?.getTracks() ?? []) track.stop();
    m.screen?.stop();
    this.media = freshMedia();
    this.quality = undefined;
    this.chosen = { speaker: this.chosen.speaker };
    this.current = undefined;
    this.localStream = undefined;
    this.remoteStream = undefined;
    if (announcement) this.announcement = announcement;
  }
}

/** Whether `conversationId` is a group conversation (its calls are group calls, not 1:1). */
function isGroupConversation(conversationId: string): boolean {
  return conversations.summaries.some(
    (s) => s.conversation.id === conversationId && s.conversation.kind !== "direct",
  );
}

/** A call error's text for the UI. */
export function errorText(err: unknown, fallback: string): string {
  if (err instanceof DOMException && err.name === "NotAllowedError") {
    return "Volly may not use the microphone or camera: allow it in the browser's site settings.";
  }
  return err instanceof Error && err.message ? err.message : fallback;
}

export const calls = new CallStore();
