import type { VoiceJoinResponse, VoiceState, VoiceStateUpdateEvent } from "@volly/protocol";
import { ListenerSet, type Listeners } from "../shared/listeners.js";
import type { HttpApi } from "../transport/http-api.js";
import type { MemberRef } from "./communities-api.js";

/**
 * `client.communities.voice`: community voice channels (docs/communities.md "Voice channels"). A
 * voice channel is an MLS group like a text channel, so `client.calls.mediaKeys(channel's
 * conversation, callId)` gives its SFrame keys; the media goes through the SFU (Janus VideoRoom)
 * whose room and join token {@link join} answers. Who is in, muted or deafened is server-visible
 * metadata. Every method throws the server's errors: VOLLY_E_SFU_UNAVAILABLE (no SFU),
 * VOLLY_E_FORBIDDEN (details.permission: CONNECT, MUTE_MEMBERS, DEAFEN_MEMBERS, MOVE_MEMBERS),
 * VOLLY_E_NOT_IN_VOICE, VOLLY_E_UNKNOWN_COMMUNITY, VOLLY_E_UNKNOWN_CHANNEL, VOLLY_E_SERVER_UNREACHABLE.
 */
export interface VoiceChannels {
  /** Fires on each gateway VOICE_STATE_UPDATE (`state: null`: the account left). */
  readonly voiceStates: Listeners<VoiceStateUpdateEvent>;
  /**
   * Joins a voice channel (VIEW_CHANNEL + CONNECT), leaving this account's other one in the
   * community: the SFU's WebSocket URL, room, participant id and join token, and ICE servers.
   * Call it again after being moved, for the new channel's room.
   */
  join(communityId: string, channelId: string): Promise<VoiceJoinResponse>;
  /** Leaves this account's voice channel of the community (nothing when in none). */
  leave(communityId: string): Promise<void>;
  /** Mutes or unmutes oneself. */
  setSelfMute(communityId: string, mute: boolean): Promise<VoiceState>;
  /** Deafens or undeafens oneself. */
  setSelfDeaf(communityId: string, deaf: boolean): Promise<VoiceState>;
  /** Server-mutes a member (MUTE_MEMBERS); Janus stops forwarding their audio too. */
  serverMute(communityId: string, member: MemberRef, mute: boolean): Promise<VoiceState | null>;
  /** Server-deafens a member (DEAFEN_MEMBERS). */
  serverDeafen(communityId: string, member: MemberRef, deaf: boolean): Promise<VoiceState | null>;
  /** Moves a member to another voice channel (MOVE_MEMBERS; they need CONNECT there). */
  move(communityId: string, member: MemberRef, toChannelId: string): Promise<VoiceState | null>;
  /** Disconnects a member from voice (MOVE_MEMBERS). */
  disconnect(communityId: string, member: MemberRef): Promise<void>;
  /** Who is in which voice channel (of the channels this account may view). */
  states(communityId: string): Promise<VoiceState[]>;
}

/** The SDK's {@link VoiceChannels} over the REST VOICE_ROUTES. */
export class VoiceChannelsService implements VoiceChannels {
  readonly voiceStates = new ListenerSet<VoiceStateUpdateEvent>();

  /**
   * @param api the REST client
   * @param accountIdOf resolves a {@link MemberRef} (an account id or `@handle`) to an account id
   */
  constructor(
    private readonly api: HttpApi,
    private readonly accountIdOf: (member: MemberRef) => Promise<string>,
  ) {}

  /** Emits a VOICE_STATE_UPDATE dispatch to {@link voiceStates}. */
  handleDispatch(event: VoiceStateUpdateEvent): void {
    this.voiceStates.emit(event);
  }

  join(communityId: string, channelId: string): Promise<VoiceJoinResponse> {
    return this.api.call("joinVoice", { params: { communityId, channelId } });
  }

  async leave(communityId: string): Promise<void> {
    await this.api.call("leaveVoice", { params: { communityId } });
  }

  setSelfMute(communityId: string, mute: boolean): Promise<VoiceState> {
    return this.api.call("updateSelfVoice", { params: { communityId }, body: { selfMute: mute } });
  }

  setSelfDeaf(communityId: string, deaf: boolean): Promise<VoiceState> {
    return this.api.call("updateSelfVoice", { params: { communityId }, body: { selfDeaf: deaf } });
  }

  serverMute(communityId: string, member: MemberRef, mute: boolean): Promise<VoiceState | null> {
    return this.moderate(communityId, member, { serverMute: mute });
  }

  serverDeafen(communityId: string, member: MemberRef, deaf: boolean): Promise<VoiceState | null> {
    return this.moderate(communityId, member, { serverDeaf: deaf });
  }

  move(communityId: string, member: MemberRef, toChannelId: string): Promise<VoiceState | null> {
    return this.moderate(communityId, member, { channelId: toChannelId });
  }

  async disconnect(communityId: string, member: MemberRef): Promise<void> {
    await this.moderate(communityId, member, { channelId: null });
  }

  async states(communityId: string): Promise<VoiceState[]> {
    return (await this.api.call("listVoiceStates", { params: { communityId } })).voiceStates;
  }

  private async moderate(
    communityId: string,
    member: MemberRef,
    body: { serverMute?: boolean; serverDeaf?: boolean; channelId?: string | null },
  ): Promise<VoiceState | null> {
    const accountId = await this.accountIdOf(member);
    return (await this.api.call("moderateVoice", { params: { communityId, accountId }, body })).state;
  }
}
