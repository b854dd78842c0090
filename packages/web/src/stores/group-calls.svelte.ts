/**
 * The web app's group calls (small, peer to peer): a voice or video call in a group conversation
 * for up to {@link MAX_PARTICIPANTS} devices, a full mesh of peer connections (`lib/calls/group-mesh.ts`)
 * sealed with SFrame under the conversation's MLS keys for the call id (each sender its own key,
 * RFC 9605 §5.2; re-keyed on "call-epoch" events like the 1:1 call).
 *
 * Signaling reuses the 1:1 kinds: `call.ring` (once, from the device that starts the call: every
 * other member's devices ring), `call.accept` (a device joins — when ringing or later from the
 * conversation's banner; a device already in the call that is the pair's answerer repeats it, so
 * a newcomer that did not know of it offers), `call.decline`, `call.hangup` (a device leaves: only
 * its links close), `call.sdp` / `call.ice` per pair (`toDevice`), and `call.state` (a device's
 * microphone and camera, for its tile). The device that started the call records it in the
 * timeline when the call ends for it ("missed" when nobody joined within the ring). The call ends
 * for a device when it leaves, or when everyone else has left.
 */
import type { CallMedia, CallSignalContent } from "@volly/protocol";
import { newId } from "@volly/protocol";
import { registerGroupCallBusy } from "../lib/calls/call-busy.js";
import { ringTimeoutMs } from "../lib/calls/call-debug.js";
import { exposeGroupCallMedia } from "../lib/calls/group-call-debug.js";
import { GroupCallMedia } from "../lib/calls/group-call-media.js";
import { recordGroupCall } from "../lib/calls/group-call-record.js";
import { type GroupSignal, sendGroupCallState, sendGroupSignal } from "../lib/calls/group-call-signal.js";
import { mediaEncryptionSupported } from "../lib/calls/media-encryption.js";
import { onSdkEvent } from "../lib/sdk.js";
import type { ReceivedCallSignal } from "../worker/rpc-types.js";
import { calls, errorText } from "./calls.svelte.js";
import { groupCallRoster, noteSelf, noteSignal } from "./group-call-roster.svelte.js";
import { type GroupCall, GroupCallState, ringEnd } from "./group-call-state.svelte.js";
import { session } from "./session.svelte.js";

/** The most devices in one group call (a full mesh: each sends its media to every other). */
export const MAX_PARTICIPANTS = 8;

class GroupCallStore extends GroupCallState {
  /** The current call's media, once joined. */
  private media: GroupCallMedia | undefined;
  /** The ring (this device rings, or waits for the first to join). */
  private ringTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    registerGroupCallBusy(() => Boolean(this.current));
    onSdkEvent((event) => {
      if (event.type === "call-signal") this.onSignal(event.received);
      else if (event.type === "call-epoch") void this.onEpoch(event.conversationId);
    });
    exposeGroupCallMedia(() => ({ media: this.media, participants: this.current?.participants ?? [] }));
  }

  /** Whether this device is in (or ringing for) a call, 1:1 or group. */
  get busy(): boolean {
    return Boolean(this.current || calls.current);
  }

  /** Starts a group call in `conversationId`: rings every other member's devices; this device is in. */
  async start(conversationId: string, media: CallMedia, title: string): Promise<void> {
    if (this.busy) return;
    this.error = undefined;
    if (!mediaEncryptionSupported()) {
      this.error = "This browser cannot encrypt calls end to end (no WebRTC Encoded Transform).";
      return;
    }
    const callId = newId();
    this.current = this.newCall({ callId, conversationId, title, media, phase: "joined", startedByMe: true });
    try {
      await this.prepareMedia(this.current);
      await this.signal({ type: "call.ring", callId, media });
      noteSelf(groupCallRoster, session.me, this.current);
      this.ringTimer = setTimeout(() => {
        if (this.current?.callId === callId && this.current.firstJoinAt === undefined) void this.leave();
      }, ringTimeoutMs());
      this.announcement = `Calling ${title}…`;
    } catch (err) {
      this.error = errorText(err, "The call could not start.");
      this.teardown();
    }
  }

  /** Joins the ringing call, or the call going on in `conversationId` (its banner's "Join"). */
  async join(conversationId?: string): Promise<void> {
    let call = this.current;
    if (call && conversationId && call.conversationId !== conversationId) return;
    if (!call && conversationId) {
      const ongoing = groupCallRoster.of(conversationId);
      if (!ongoing || calls.current) return;
      const { callId, media } = ongoing;
      call = this.newCall({
        callId,
        conversationId,
        title: this.titleOf(conversationId),
        media,
        phase: "joined",
        startedByMe: false,
      });
      this.current = call;
    }
    if (!call || (call.phase === "joined" && call.joinedAt !== undefined)) return;
    clearTimeout(this.ringTimer);
    call.phase = "joined";
    call.joinedAt = Date.now();
    call.firstJoinAt = call.joinedAt;
    try {
      const inCall = groupCallRoster.of(call.conversationId)?.devices.length ?? 0;
      if (inCall + 1 > MAX_PARTICIPANTS)
        throw new Error(`A group call takes at most ${MAX_PARTICIPANTS} people.`);
      await this.prepareMedia(call);
      await this.signal({ type: "call.accept", callId: call.callId });
      noteSelf(groupCallRoster, session.me, call);
      this.announcement = `Joined the call in ${call.title}.`;
      for (const device of groupCallRoster.of(call.conversationId)?.devices ?? []) {
        if (device.deviceId === session.me?.deviceId) continue;
        this.addParticipant(call, device.deviceId, device.accountId, device.handle);
        await this.media?.mesh.connect(device.deviceId);
      }
    } catch (err) {
      this.error = errorText(err, "The call could not be joined.");
      await this.leave();
    }
  }

  /** Declines the ringing call (this account's other devices stop ringing); it goes on for the others. */
  async decline(): Promise<void> {
    const call = this.current;
    if (call?.phase !== "ringing") return;
    this.teardown(`Declined the call in ${call.title}.`);
    await this.signal({ type: "call.decline", callId: call.callId }, call.conversationId).catch(
      () => undefined,
    );
  }

  /** Leaves the call (or, while it rings, declines it): only this device's links close. */
  async leave(): Promise<void> {
    const call = this.current;
    if (!call) return;
    if (call.phase === "ringing") return this.decline();
    await this.end(call, `You left the call in ${call.title}.`);
  }

  /** Ends the call for this device: the others are told (`call.hangup`), the starter records it. */
  private async end(call: GroupCall, announcement: string): Promise<void> {
    const me = session.me?.deviceId;
    if (me) groupCallRoster.remove(call.conversationId, call.callId, me);
    this.teardown(announcement);
    await this.signal({ type: "call.hangup", callId: call.callId }, call.conversationId).catch(
      () => undefined,
    );
    await recordGroupCall(call);
  }

  /** Mutes or unmutes the microphone; the others' tiles show it. */
  toggleMute(): void {
    const call = this.current;
    if (call?.phase !== "joined") return;
    call.muted = !call.muted;
    for (const track of this.media?.local.getAudioTracks() ?? []) track.enabled = !call.muted;
    void sendGroupCallState(call);
  }

  /** Turns the camera off (black frames, the others show the avatar) or on again. */
  toggleCamera(): void {
    const call = this.current;
    const camera = this.media?.local.getVideoTracks()[0];
    if (call?.phase !== "joined" || !camera) return;
    call.cameraOff = !call.cameraOff;
    camera.enabled = !call.cameraOff;
    void sendGroupCallState(call);
  }

  /** Shares a screen instead of the camera on every link (a video call), or the camera again. */
  async toggleScreenShare(): Promise<void> {
    const call = this.current;
    const media = this.media;
    if (call?.phase !== "joined" || call.media !== "video" || !media) return;
    try {
      if (media.screen) await media.stopScreen();
      else await media.shareScreen(() => void this.toggleScreenShare());
    } catch (err) {
      this.error = errorText(err, "The screen could not be shared.");
    }
    call.sharingScreen = Boolean(media.screen);
    this.localStream = media.preview();
    void sendGroupCallState(call);
  }

  private onSignal(received: ReceivedCallSignal): void {
    const me = session.me;
    const conversation = this.conversationOf(received.conversationId);
    if (!me || conversation?.kind !== "group") return; // DMs' calls are calls.svelte.ts's
    const { signal, conversationId } = received;
    noteSignal(groupCallRoster, received);

    const call = this.current;
    if (signal.type === "call.ring") {
      if (received.fromAccountId !== me.accountId && !this.busy)
        this.ring(received, signal.callId, signal.media);
      return;
    }
    if (!call || call.callId !== signal.callId || call.conversationId !== conversationId) return;
    if (call.phase === "ringing") {
      const ended = ringEnd(call, received, me.accountId, Boolean(groupCallRoster.of(conversationId)));
      if (ended) this.teardown(ended);
      return;
    }
    void this.onJoinedSignal(call, received, signal).catch((err: unknown) => {
      this.error = errorText(err, "A participant's connection failed.");
    });
  }

  /** A signal of the call this device is in. */
  private async onJoinedSignal(
    call: GroupCall,
    received: ReceivedCallSignal,
    signal: CallSignalContent,
  ): Promise<void> {
    const mesh = this.media?.mesh;
    const from = received.fromDeviceId;
    if (!mesh) return;
    switch (signal.type) {
      case "call.accept": {
        if (call.participants.some((p) => p.deviceId === from)) return;
        this.addParticipant(call, from, received.fromAccountId, received.from);
        this.announcement = `${this.nameOf(call.conversationId, received.from)} joined the call.`;
        clearTimeout(this.ringTimer);
        // the pair's answerer tells the newcomer it is here (the newcomer offers)
        if (!(await mesh.connect(from))) await this.signal({ type: "call.accept", callId: call.callId });
        if (call.muted || call.cameraOff || call.sharingScreen) await sendGroupCallState(call);
        return;
      }
      case "call.hangup":
        mesh.disconnect(from);
        this.removeParticipant(call, from, received.from);
        if (call.participants.length === 0 && call.firstJoinAt !== undefined)
          await this.end(call, `Everyone left. The call in ${call.title} ended.`);
        return;
      case "call.sdp":
        this.addParticipant(call, from, received.fromAccountId, received.from);
        await mesh.onDescription(from, signal.description);
        this.showStream(from, mesh.peer(from)?.remote);
        return;
      case "call.ice":
        if (signal.candidate) await mesh.onCandidate(from, signal.candidate);
        return;
      case "call.state":
        Object.assign(this.participant(from) ?? {}, { muted: signal.muted, cameraOff: signal.cameraOff });
        return;
      default:
        return;
    }
  }

  /** This device rings for a call another member started (Join or Decline), until the ring ends. */
  private ring(received: ReceivedCallSignal, callId: string, media: CallMedia): void {
    const call = this.ringingCall(received, callId, media);
    this.ringTimer = setTimeout(() => {
      if (this.current?.callId === callId && this.current.phase === "ringing")
        this.teardown(`Missed call in ${call.title}.`);
    }, ringTimeoutMs() + 5_000);
  }

  /** Opens the call's media (`GroupCallMedia`): microphone, keys, the mesh. */
  private async prepareMedia(call: GroupCall): Promise<void> {
    const { callId } = call;
    const media = await GroupCallMedia.open(call, {
      self: session.me?.deviceId ?? "",
      send: (toDevice, signal) => void this.signal({ ...signal, callId, toDevice }).catch(() => undefined),
      onState: (deviceId, state) =>
        this.peerState(deviceId, state === "connected", this.media?.mesh.peer(deviceId)?.remote),
      onQuality: (deviceId, quality) => Object.assign(this.participant(deviceId) ?? {}, { quality }),
      onRestartError: (_, err) => {
        this.error = errorText(err, "A participant's connection could not be restarted.");
      },
    });
    if (this.current?.callId !== callId) {
      media.close();
      throw new Error("The call ended meanwhile.");
    }
    this.media = media;
    this.localStream = media.local;
  }

  /** A conversation's MLS epoch changed: the call in it takes the new keys. */
  private async onEpoch(conversationId: string): Promise<void> {
    if (this.media?.conversationId === conversationId) await this.media.rekey();
  }

  private signal(signal: GroupSignal, conversationId = this.current?.conversationId): Promise<void> {
    return sendGroupSignal(conversationId, signal);
  }

  /** Ends the call on this device: stops media, closes every link and the worker. */
  private teardown(announcement?: string): void {
    clearTimeout(this.ringTimer);
    this.media?.close();
    this.media = undefined;
    this.reset(announcement);
  }
}

/** The app's group calls. */
export const groupCalls = new GroupCallStore();
