import type { TSchema } from "@sinclair/typebox";
import {
  JanusPluginReply,
  type JanusRoomId,
  matches,
  VideoRoomCreated,
  VideoRoomDestroyed,
  VideoRoomError,
  VideoRoomExists,
  VideoRoomList,
  type VideoRoomParticipant,
  VideoRoomParticipants,
  VideoRoomSuccess,
  type VideoRoomSummary,
  VollyError,
} from "@volly/protocol";
import type { JanusSession } from "./janus-client.js";
import { expectReply } from "./janus-client.js";

/** The Janus plugin voice channels use. */
export const VIDEOROOM_PLUGIN = "janus.plugin.videoroom";

/** Options of {@link VideoRoom.createRoom}. */
export interface CreateRoomOptions {
  /** The room id; default: Janus picks a free one. */
  room?: JanusRoomId;
  /** Needed later to destroy or edit the room (VideoRoom `secret`). */
  secret: string;
  /** Shown in `list`, e.g. the channel id. Default none. */
  description?: string;
  /** How many may publish at once (VideoRoom `publishers`). Default 25. */
  maxPublishers?: number;
  /**
   * VideoRoom `require_e2ee`: publishers must encrypt their media end to end (insertable
   * streams / SFrame), so Janus forwards frames without looking into them. Default true.
   */
  requireE2ee?: boolean;
  /**
   * VideoRoom `allowed`: only joins carrying one of these tokens are let in (an empty list: nobody
   * until {@link VideoRoom.allow} adds one). Default: no access control.
   */
  allowed?: readonly string[];
  /** VideoRoom `admin_key`, when the plugin is configured with one (creating rooms needs it). */
  adminKey?: string;
  /** VideoRoom `audiocodec`, e.g. "opus". Default Janus's. */
  audioCodec?: string;
}

/**
 * The VideoRoom plugin on one handle of a Janus session: the room management voice channels need.
 * Every answer is checked against its schema (`janus-replies.ts`); the plugin's refusals
 * (`{videoroom:"event", error_code}`, e.g. 426 no such room, 433 wrong secret) become
 * VOLLY_E_SFU_REFUSED with details.sfuCode and details.reason.
 */
export class VideoRoom {
  private constructor(
    private readonly session: JanusSession,
    /** The plugin handle's id. */
    readonly handleId: number,
  ) {}

  /**
   * Attaches the VideoRoom plugin on `session`.
   * @throws VollyError VOLLY_E_SFU_REFUSED (plugin not loaded), VOLLY_E_SFU_UNAVAILABLE
   */
  static async attach(session: JanusSession): Promise<VideoRoom> {
    return new VideoRoom(session, await session.attach(VIDEOROOM_PLUGIN));
  }

  /** Creates a room (not permanent: it lives until destroyed or Janus restarts); resolves with its id. */
  async createRoom(options: CreateRoomOptions): Promise<JanusRoomId> {
    const data = await this.call(
      {
        request: "create",
        permanent: false,
        secret: options.secret,
        publishers: options.maxPublishers ?? 25,
        require_e2ee: options.requireE2ee ?? true,
        ...(options.room !== undefined ? { room: options.room } : {}),
        ...(options.allowed !== undefined ? { allowed: [...options.allowed] } : {}),
        ...(options.adminKey !== undefined ? { admin_key: options.adminKey } : {}),
        ...(options.audioCodec !== undefined ? { audiocodec: options.audioCodec } : {}),
        ...(options.description !== undefined ? { description: options.description } : {}),
      },
      VideoRoomCreated,
      "create",
    );
    return data.room;
  }

  /** Destroys `room` (its participants are kicked). @throws VOLLY_E_SFU_REFUSED 426 no such room, 433 wrong secret */
  async destroyRoom(room: JanusRoomId, secret: string): Promise<void> {
    await this.call({ request: "destroy", room, secret, permanent: false }, VideoRoomDestroyed, "destroy");
  }

  /** Whether `room` exists. */
  async exists(room: JanusRoomId): Promise<boolean> {
    return (await this.call({ request: "exists", room }, VideoRoomExists, "exists")).exists;
  }

  /** The public rooms (rooms created `is_private` are left out by Janus). */
  async listRooms(): Promise<VideoRoomSummary[]> {
    return (await this.call({ request: "list" }, VideoRoomList, "list")).list;
  }

  /**
   * Adds (`add`) or removes (`remove`) join tokens of `room`'s access list (VideoRoom `allowed`).
   * @throws VOLLY_E_SFU_REFUSED 426 no such room, 433 wrong secret
   */
  async allow(room: JanusRoomId, secret: string, action: "add" | "remove", tokens: readonly string[]) {
    await this.call(
      { request: "allowed", room, secret, action, allowed: [...tokens] },
      VideoRoomSuccess,
      "allowed",
    );
  }

  /** Kicks participant `id` out of `room` (VideoRoom `kick`). @throws VOLLY_E_SFU_REFUSED 428 no such participant */
  async kick(room: JanusRoomId, secret: string, id: number): Promise<void> {
    await this.call({ request: "kick", room, secret, id }, VideoRoomSuccess, "kick");
  }

  /**
   * Mutes or unmutes what participant `id` publishes in `room` (VideoRoom `moderate`): Janus stops
   * forwarding the muted stream. `mid` names the stream (Janus 1.x; "0" is the audio of an
   * audio-only publisher).
   * @throws VOLLY_E_SFU_REFUSED (no such room or participant, not publishing)
   */
  async moderate(room: JanusRoomId, secret: string, id: number, mid: string, mute: boolean): Promise<void> {
    await this.call({ request: "moderate", room, secret, id, mid, mute }, VideoRoomSuccess, "moderate");
  }

  /** Who is in `room` (publishers and not). @throws VOLLY_E_SFU_REFUSED 426 no such room */
  async listParticipants(room: JanusRoomId): Promise<VideoRoomParticipant[]> {
    return (await this.call({ request: "listparticipants", room }, VideoRoomParticipants, "listparticipants"))
      .participants;
  }

  private async call<T extends TSchema>(body: Record<string, unknown>, schema: T, what: string) {
    const reply = expectReply(JanusPluginReply, await this.session.message(this.handleId, body), what);
    const data = reply.plugindata.data;
    if (matches(VideoRoomError, data)) {
      throw new VollyError("VOLLY_E_SFU_REFUSED", undefined, {
        sfuCode: data.error_code,
        reason: data.error,
      });
    }
    return expectReply(schema, data, what);
  }
}
