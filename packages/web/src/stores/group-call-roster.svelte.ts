/**
 * Which group calls are going on, per group conversation, as this device learnt from the call
 * signaling (ephemeral: only what it saw while connected): the ring starts one with its caller in
 * it, every `call.accept` adds a device, every `call.hangup` takes one out, and a call with nobody
 * left is over. The conversation's "Join" banner and a late joiner's first links read it.
 */
import type { CallMedia } from "@volly/protocol";
import type { ReceivedCallSignal } from "../worker/rpc-types.js";

/** A device in a group call. */
export interface RosterDevice {
  deviceId: string;
  accountId: string;
  /** The account's handle. */
  handle: string;
}

/** A group call going on in a conversation. */
export interface OngoingGroupCall {
  callId: string;
  media: CallMedia;
  /** The devices in it (this one included once it joined). */
  devices: RosterDevice[];
}

class GroupCallRoster {
  /** The ongoing calls by conversation id. */
  calls = $state<Record<string, OngoingGroupCall>>({});

  /** The call going on in `conversationId`, if any. */
  of(conversationId: string): OngoingGroupCall | undefined {
    return this.calls[conversationId];
  }

  /**
   * Notes that `device` is in call `callId` of `conversationId` (a ring, an accept, media it
   * sent). A ring of another call replaces the one known (the newest call is the one to join).
   * @param media the call's media when the signal says it (a ring); "audio" for a call first seen
   *   from an accept
   */
  add(conversationId: string, callId: string, device: RosterDevice, media?: CallMedia): void {
    let call = this.calls[conversationId];
    if (!call || call.callId !== callId) {
      if (call && !media) return; // an accept of an older call
      call = { callId, media: media ?? "audio", devices: [] };
      this.calls[conversationId] = call;
    }
    if (!call.devices.some((d) => d.deviceId === device.deviceId)) call.devices.push(device);
  }

  /** Notes that `deviceId` left call `callId`; the call is over once nobody is left. */
  remove(conversationId: string, callId: string, deviceId: string): void {
    const call = this.calls[conversationId];
    if (call?.callId !== callId) return;
    call.devices = call.devices.filter((d) => d.deviceId !== deviceId);
    if (call.devices.length === 0) delete this.calls[conversationId];
  }
}

/**
 * Notes what a group conversation's call signal says about who is in its call: a ring and an
 * accept add the sender's device, a hang-up takes it out; other kinds say nothing.
 */
export function noteSignal(roster: GroupCallRoster, received: ReceivedCallSignal): void {
  const { conversationId, signal } = received;
  const device = {
    deviceId: received.fromDeviceId,
    accountId: received.fromAccountId,
    handle: received.from,
  };
  if (signal.type === "call.ring") roster.add(conversationId, signal.callId, device, signal.media);
  else if (signal.type === "call.accept") roster.add(conversationId, signal.callId, device);
  else if (signal.type === "call.hangup") roster.remove(conversationId, signal.callId, device.deviceId);
}

/**
 * Notes this device (`me`, the session's; nothing without one) in the call it started or joined.
 */
export function noteSelf(
  roster: GroupCallRoster,
  me: Partial<RosterDevice> | undefined,
  call: { conversationId: string; callId: string; media: CallMedia },
): void {
  const { deviceId, accountId, handle } = me ?? {};
  if (deviceId && accountId && handle)
    roster.add(call.conversationId, call.callId, { deviceId, accountId, handle }, call.media);
}

/** The app's one roster of group calls. */
export const groupCallRoster = new GroupCallRoster();
