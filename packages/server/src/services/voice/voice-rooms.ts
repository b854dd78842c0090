import { randomBytes } from "node:crypto";
import { VollyError } from "@volly/protocol";
import type { FastifyBaseLogger } from "fastify";
import { describeError } from "../../describe-error.js";
import type { JanusClient, JanusSession } from "../../sfu/janus-client.js";
import type { Sfu } from "../../sfu/open-sfu.js";
import { VideoRoom } from "../../sfu/videoroom.js";

/** A voice channel's Janus VideoRoom: its id and the secret that manages it. */
export interface VoiceRoom {
  room: number;
  secret: string;
}

/**
 * The VideoRoom handle the server manages voice channel rooms through: one Janus connection,
 * session and plugin handle, opened on first use and opened again after it failed (Janus restarted
 * or the connection dropped).
 */
export interface VoiceRooms {
  /** Creates an audio room for `channelId` with a fresh random secret, `require_e2ee` and an empty access list. */
  create(channelId: string): Promise<VoiceRoom>;
  /** Whether the room still exists (false after a Janus restart). */
  exists(room: VoiceRoom): Promise<boolean>;
  /** Lets `token` join the room (VideoRoom `allowed` add). */
  allow(room: VoiceRoom, token: string): Promise<void>;
  /** Takes `token` off the room's access list and kicks participant `id` (best effort: never throws). */
  evict(room: VoiceRoom, token: string, id: number): Promise<void>;
  /** Mutes or unmutes participant `id`'s audio in Janus (best effort: false when Janus refused). */
  moderate(room: VoiceRoom, id: number, mute: boolean): Promise<boolean>;
  /** Destroys the room (best effort: never throws). */
  destroy(room: VoiceRoom): Promise<void>;
  /** Closes the connection. */
  close(): void;
}

/** Builds {@link VoiceRooms} over `sfu`. */
export function createVoiceRooms(sfu: Sfu, log: FastifyBaseLogger): VoiceRooms {
  let opened: Promise<{ client: JanusClient; session: JanusSession; videoRoom: VideoRoom }> | undefined;
  const handle = async () => {
    opened ??= (async () => {
      const client = await sfu.connect();
      try {
        const session = await client.createSession();
        return { client, session, videoRoom: await VideoRoom.attach(session) };
      } catch (error) {
        client.close();
        throw error;
      }
    })();
    try {
      return (await opened).videoRoom;
    } catch (error) {
      opened = undefined;
      throw error;
    }
  };
  /** Runs `use` on the handle; when the connection failed, once more on a fresh one. */
  const withRoom = async <T>(use: (videoRoom: VideoRoom) => Promise<T>): Promise<T> => {
    try {
      return await use(await handle());
    } catch (error) {
      if (!(error instanceof Error && "code" in error && error.code === "VOLLY_E_SFU_UNAVAILABLE"))
        throw error;
      const stale = opened;
      opened = undefined;
      void stale?.then((o) => o.client.close()).catch(() => {});
      return await use(await handle());
    }
  };
  const quietly = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      return true;
    } catch (error) {
      log.warn({ sfu: "janus", what, err: describeError(error) }, "voice room request failed");
      return false;
    }
  };
  sfu.process?.onRestart(() => {
    opened = undefined;
  });
  return {
    async create(channelId) {
      const secret = randomBytes(24).toString("base64url");
      const room = await withRoom((v) =>
        v.createRoom({
          secret,
          description: channelId,
          requireE2ee: true,
          allowed: [],
          audioCodec: "opus",
          ...(sfu.adminKey !== undefined ? { adminKey: sfu.adminKey } : {}),
        }),
      );
      if (typeof room !== "number") {
        // Janus runs with string_ids: this server asks for numeric rooms (the wire form's room is an integer).
        throw new VollyError("VOLLY_E_INTERNAL", "The SFU answered a string room id.", { room });
      }
      return { room, secret };
    },
    exists: (room) => withRoom((v) => v.exists(room.room)),
    allow: (room, token) => withRoom((v) => v.allow(room.room, room.secret, "add", [token])),
    async evict(room, token, id) {
      await quietly("allowed", () => withRoom((v) => v.allow(room.room, room.secret, "remove", [token])));
      // Not joined (yet), or left already: Janus answers "no such participant" — nothing to do.
      await withRoom((v) => v.kick(room.room, room.secret, id)).catch(() => {});
    },
    moderate: (room, id, mute) =>
      quietly("moderate", () => withRoom((v) => v.moderate(room.room, room.secret, id, "0", mute))),
    async destroy(room) {
      await quietly("destroy", () => withRoom((v) => v.destroyRoom(room.room, room.secret)));
    },
    close() {
      void opened?.then((o) => o.client.close()).catch(() => {});
      opened = undefined;
    },
  };
}
