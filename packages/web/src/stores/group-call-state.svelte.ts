/**
 * What the UI shows of a group call (`group-calls.svelte.ts` drives it): the call, its
 * participants (one tile each), the media streams of the tiles, and the announcements for screen
 * readers. The names come from the conversation's members.
 */
import type { CallMedia } from "@volly/protocol";
import type { CallQuality } from "../lib/calls/quality.js";
import type { ConversationRecord, ReceivedCallSignal } from "../worker/rpc-types.js";
import { conversations, titleOf } from "./conversations.svelte.js";

/** Another device in the call, as its tile shows it. */
export interface GroupParticipant {
  deviceId: string;
  accountId: string;
  /** The account's display name (or handle). */
  name: string;
  /** Its microphone is muted (its `call.state`). */
  muted: boolean;
  /** Its camera is off (its `call.state`): the tile shows the avatar. */
  cameraOff: boolean;
  /** Its peer connection is up. */
  connected: boolean;
  /** The link's last measured quality (getStats), once measured. */
  quality?: CallQuality;
}

/** The group call this device is in, or rings for. */
export interface GroupCall {
  callId: string;
  conversationId: string;
  /** The conversation's title. */
  title: string;
  media: CallMedia;
  /** "ringing": this device rings (Join or Decline); "joined": it is in the call. */
  phase: "ringing" | "joined";
  /** This device started the call (it records the call in the timeline). */
  startedByMe: boolean;
  /** Who rings (while "ringing"). */
  caller?: string;
  /** When this device joined (ms since the epoch). */
  joinedAt?: number;
  /** When the call first had someone besides its starter, from this device's view (ms). */
  firstJoinAt?: number;
  muted: boolean;
  cameraOff: boolean;
  /** This device sends a shared screen instead of its camera. */
  sharingScreen: boolean;
  /** The other devices in the call. */
  participants: GroupParticipant[];
}

/** The reactive state of the group calls store, and helpers that read the conversation list. */
export class GroupCallState {
  /** The current group call, or undefined. */
  current = $state<GroupCall | undefined>();
  /** The last thing to announce to screen readers (a ring, a join, a leave). */
  announcement = $state("");
  /** Why the last call could not start or went wrong. */
  error = $state<string | undefined>();
  /** This device's microphone and camera (its own tile's preview). */
  localStream = $state.raw<MediaStream | undefined>();
  /** Each peer device's media, by device id. */
  streams = $state.raw<Record<string, MediaStream>>({});

  /** A new call's state. */
  protected newCall(
    fields: Pick<GroupCall, "callId" | "conversationId" | "title" | "media" | "phase" | "startedByMe">,
  ): GroupCall {
    return { ...fields, muted: false, cameraOff: false, sharingScreen: false, participants: [] };
  }

  /** Makes the call this device rings for the current one, and announces it. */
  protected ringingCall(received: ReceivedCallSignal, callId: string, media: CallMedia): GroupCall {
    const { conversationId } = received;
    const title = this.titleOf(conversationId);
    const caller = this.nameOf(conversationId, received.from);
    this.current = {
      ...this.newCall({ callId, conversationId, title, media, phase: "ringing", startedByMe: false }),
      caller,
    };
    this.announcement = `${caller} is calling ${title}`;
    return this.current;
  }

  /** Adds a device to the call's tiles (once); the call counts as answered from then. */
  protected addParticipant(call: GroupCall, deviceId: string, accountId: string, handle: string): void {
    call.firstJoinAt ??= Date.now();
    if (call.participants.some((p) => p.deviceId === deviceId)) return;
    const name = this.nameOf(call.conversationId, handle);
    call.participants.push({ deviceId, accountId, name, muted: false, cameraOff: false, connected: false });
  }

  /** The participant of the current call on `deviceId`, if any. */
  protected participant(deviceId: string): GroupParticipant | undefined {
    return this.current?.participants.find((p) => p.deviceId === deviceId);
  }

  /** A peer's connection went up or down; once up its media shows in its tile. */
  protected peerState(deviceId: string, connected: boolean, remote: MediaStream | undefined): void {
    const participant = this.participant(deviceId);
    if (participant) participant.connected = connected;
    if (connected) this.showStream(deviceId, remote);
  }

  /** Shows a peer's media in its tile. */
  protected showStream(deviceId: string, remote: MediaStream | undefined): void {
    if (remote && this.streams[deviceId] !== remote) this.streams = { ...this.streams, [deviceId]: remote };
  }

  /** Takes a device's tile and media away, and says who left. */
  protected removeParticipant(call: GroupCall, deviceId: string, handle: string): void {
    call.participants = call.participants.filter((p) => p.deviceId !== deviceId);
    this.streams = Object.fromEntries(Object.entries(this.streams).filter(([id]) => id !== deviceId));
    this.announcement = `${this.nameOf(call.conversationId, handle)} left the call.`;
  }

  /** The conversation `conversationId` from the list, if loaded. */
  protected conversationOf(conversationId: string): ConversationRecord | undefined {
    return conversations.summaries.find((s) => s.conversation.id === conversationId)?.conversation;
  }

  /** The conversation's title. */
  protected titleOf(conversationId: string): string {
    const conversation = this.conversationOf(conversationId);
    return conversation ? titleOf(conversation) : "the group";
  }

  /** A member's display name (or handle). */
  protected nameOf(conversationId: string, handle: string): string {
    const member = this.conversationOf(conversationId)?.members?.find((m) => m.handle === handle);
    return member?.displayName || handle;
  }

  /** Forgets the call (after its media was stopped). */
  protected reset(announcement?: string): void {
    this.current = undefined;
    this.localStream = undefined;
    this.streams = {};
    if (announcement) this.announcement = announcement;
  }
}

/**
 * Whether a signal ends this device's ring, and what to announce then: another device of this
 * account (`me`, an account id) joined or declined, or the call ended (its last device hung up:
 * `ongoing` false). Undefined: it rings on.
 */
export function ringEnd(
  call: GroupCall,
  received: ReceivedCallSignal,
  me: string,
  ongoing: boolean,
): string | undefined {
  const ownOther = received.fromAccountId === me;
  const { type } = received.signal;
  if (ownOther && type === "call.accept") return "Answered on another device.";
  if (ownOther && type === "call.decline") return "Declined on another device.";
  if (type === "call.hangup" && !ongoing) return `Missed call in ${call.title}.`;
  return undefined;
}
