import { randomBytes, randomInt } from "node:crypto";
import {
  hasPermission,
  MAX_TURN_TTL_SECONDS,
  type ModerateVoiceBody,
  type UpdateSelfVoiceBody,
  type VoiceJoinResponse,
  type VoiceState,
  VollyError,
} from "@volly/protocol";
import type { FastifyBaseLogger } from "fastify";
import { deviceChannel, VOICE_CHANNEL } from "../../bus/bus.js";
import type { BusMessage, VoiceRecordBus } from "../../bus/messages.js";
import type { TurnConfig } from "../../config-calls.js";
import { signGatewayToken } from "../../sfu/gateway-token.js";
import type { Sfu } from "../../sfu/open-sfu.js";
import { VIDEOROOM_PLUGIN } from "../../sfu/videoroom.js";
import { iceServersFor } from "../calls/ice-servers.js";
import {
  channelPermissionsOf,
  loadAccess,
  loadChannelAccess,
  requirePermission,
  subjectOf,
} from "../communities/community-access.js";
import type { AuthContext, ServiceContext } from "../context.js";
import { createVoiceRooms, type VoiceRoom } from "./voice-rooms.js";

/** Default grace period before a device whose gateway connection dropped leaves its voice channels (ms). */
export const DEFAULT_VOICE_GRACE_MS = 15_000;

/**
 * Community voice channels (docs/communities.md "Voice channels"): who is in which voice channel is
 * server-visible metadata kept in memory on every node (replicated over the bus's voice channel,
 * like presence), each voice channel with members has a Janus VideoRoom (created on the first join
 * with a random secret, `require_e2ee` and an access list; destroyed when the last one leaves), and
 * changes are dispatched as VOICE_STATE_UPDATE to the members who may view the channel. An account
 * is in at most one voice channel of a community (joining another moves it).
 */
export interface VoiceService {
  /**
   * Joins `channelId` (or re-issues SFU access when already in it), leaving the account's other
   * voice channel of the community. Without SPEAK in the channel the state starts server-muted.
   *
   * @throws VOLLY_E_SFU_UNAVAILABLE (no SFU configured or reachable), VOLLY_E_UNKNOWN_CHANNEL (no
   *   such channel in this community, or hidden), VOLLY_E_BAD_REQUEST (not a voice channel),
   *   VOLLY_E_FORBIDDEN details.permission "CONNECT"
   */
  join(device: AuthContext, communityId: string, channelId: string): Promise<VoiceJoinResponse>;
  /** Leaves the account's voice channel of the community; nothing when in none. */
  leave(device: AuthContext, communityId: string): Promise<void>;
  /** Sets the caller's own mute/deaf. @throws VOLLY_E_NOT_IN_VOICE */
  updateSelf(device: AuthContext, communityId: string, body: UpdateSelfVoiceBody): Promise<VoiceState>;
  /**
   * A moderator's server mute (MUTE_MEMBERS; also enforced in Janus with VideoRoom `moderate`),
   * server deafen (DEAFEN_MEMBERS), move (MOVE_MEMBERS; the member needs CONNECT in the destination,
   * which must be a voice channel of the community) or disconnect (`channelId: null`, MOVE_MEMBERS),
   * each permission checked in the member's current channel. A moved member's device joins the new
   * channel's room with the access its `join` of that channel answers.
   *
   * @throws VOLLY_E_NOT_IN_VOICE, VOLLY_E_FORBIDDEN (details.permission), VOLLY_E_UNKNOWN_CHANNEL
   */
  moderate(
    device: AuthContext,
    communityId: string,
    accountId: string,
    body: ModerateVoiceBody,
  ): Promise<VoiceState | null>;
  /** The voice states of the community's channels the caller may view. @throws VOLLY_E_UNKNOWN_COMMUNITY */
  list(device: AuthContext, communityId: string): Promise<VoiceState[]>;
  /**
   * After a change that can take access away (a kick, a ban, leaving, a role or overwrite change, a
   * channel deleted): every account in a voice channel of the community that may no longer connect
   * to it (not a member, no VIEW_CHANNEL or CONNECT, the channel gone) is taken out — its state
   * removed and dispatched, its token taken off the room's access list and its participant kicked
   * from Janus — as a moderator's disconnect would. Never rejects: a failure is logged.
   */
  reconcile(communityId: string): Promise<void>;
  /** A gateway connection of the device identified on this node. */
  connectionOpened(deviceId: string): void;
  /** A gateway connection of the device closed on this node; its last one starts the grace period. */
  connectionClosed(deviceId: string): void;
  /** Stops timers, the bus subscription and the SFU connection. */
  close(): void;
}

/** What the voice service needs beyond the service context. */
export interface VoiceOptions {
  sfu: Sfu | undefined;
  turn: TurnConfig | undefined;
  log: FastifyBaseLogger;
  /** Grace period after a device's last gateway connection closed (ms); default {@link DEFAULT_VOICE_GRACE_MS}. */
  graceMs?: number;
}

type VoiceRecord = VoiceRecordBus;

const key = (communityId: string, accountId: string) => `${communityId}/${accountId}`;

function publicState(r: VoiceRecord): VoiceState {
  return {
    channelId: r.channelId,
    accountId: r.accountId,
    deviceId: r.deviceId,
    selfMute: r.selfMute,
    selfDeaf: r.selfDeaf,
    serverMute: r.serverMute,
    serverDeaf: r.serverDeaf,
    joinedAt: r.joinedAt,
  };
}

function notInVoice(communityId: string, accountId: string): VollyError {
  return new VollyError("VOLLY_E_NOT_IN_VOICE", undefined, { communityId, accountId });
}

/** Builds the {@link VoiceService}. */
export function createVoiceService(context: ServiceContext, options: VoiceOptions): VoiceService {
  const { store, bus, now } = context;
  const { sfu, turn, log } = options;
  const graceMs = options.graceMs ?? DEFAULT_VOICE_GRACE_MS;
  const nodeId = randomBytes(9).toString("base64url");
  const rooms = sfu ? createVoiceRooms(sfu, log) : undefined;
  const records = new Map<string, VoiceRecord>();
  const channelRooms = new Map<string, VoiceRoom>();
  const connections = new Map<string, number>();
  const graceTimers = new Map<string, NodeJS.Timeout>();
  // Voice changes on this node run one after the other (room creation and destruction race otherwise).
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run, run);
    tail = next.catch(() => {});
    return next;
  };
  sfu?.process?.onRestart(() => channelRooms.clear()); // Janus's rooms went with it

  const unsubscribe = bus.subscribe(VOICE_CHANNEL, (message: BusMessage) => {
    if (message.type === "voice-sync" && message.nodeId !== nodeId) {
      const k = key(message.communityId, message.accountId);
      if (message.record) records.set(k, message.record);
      else records.delete(k);
    } else if (message.type === "voice-room" && message.nodeId !== nodeId) {
      if (message.room !== undefined && message.secret !== undefined)
        channelRooms.set(message.channelId, { room: message.room, secret: message.secret });
      else channelRooms.delete(message.channelId);
    }
  });

  const requireSfu = () => {
    if (!sfu || !rooms) {
      throw new VollyError(
        "VOLLY_E_SFU_UNAVAILABLE",
        "This server has no SFU for voice channels (VOLLY_SFU).",
      );
    }
    return { sfu, rooms };
  };

  const setRecord = (communityId: string, accountId: string, record: VoiceRecord | undefined) => {
    const k = key(communityId, accountId);
    if (record) records.set(k, record);
    else records.delete(k);
    bus.publish(VOICE_CHANNEL, {
      type: "voice-sync",
      nodeId,
      communityId,
      accountId,
      ...(record ? { record } : {}),
    });
  };

  /** Tells the live sessions of the members who may view any of `channelIds` about the account's state. */
  const dispatch = async (
    communityId: string,
    accountId: string,
    state: VoiceState | undefined,
    channelIds: readonly string[],
    previousChannelId?: string,
  ) => {
    const community = await store.communities.find(communityId);
    if (!community) return;
    const [roles, members, overwrites] = await Promise.all([
      store.communities.listRoles(communityId),
      store.communities.listMembers(communityId),
      store.communities.listCommunityOverwrites(communityId),
    ]);
    const at = now();
    for (const member of members) {
      const subject = subjectOf(community, member, roles);
      const sees = channelIds.some((channelId) =>
        hasPermission(
          channelPermissionsOf(
            subject,
            overwrites.filter((o) => o.channelId === channelId),
            at,
          ),
          "VIEW_CHANNEL",
        ),
      );
      if (!sees) continue;
      for (const device of await store.devices.listByAccount(member.accountId)) {
        if (device.revokedAt !== undefined) continue;
        bus.publish(deviceChannel(device.id), {
          type: "voice-state",
          deviceId: device.id,
          communityId,
          accountId,
          ...(previousChannelId !== undefined ? { previousChannelId } : {}),
          ...(state ? { state } : {}),
        });
      }
    }
  };
  const dispatchQuietly = (...args: Parameters<typeof dispatch>) =>
    dispatch(...args).catch((error: unknown) => log.error({ err: String(error) }, "voice dispatch failed"));

  /** Takes a record out of its room; destroys the room when nobody is left in it. */
  const vacate = async (record: VoiceRecord) => {
    const room = channelRooms.get(record.channelId);
    if (!room || !rooms) return;
    await rooms.evict(room, record.token, record.participantId);
    const occupied = [...records.values()].some((r) => r.channelId === record.channelId);
    if (!occupied) {
      channelRooms.delete(record.channelId);
      bus.publish(VOICE_CHANNEL, { type: "voice-room", nodeId, channelId: record.channelId });
      await rooms.destroy(room);
    }
  };

  /** Removes the account's record (it left, was disconnected, or its device dropped). */
  const remove = async (record: VoiceRecord) => {
    setRecord(record.communityId, record.accountId, undefined);
    await vacate(record);
    await dispatchQuietly(
      record.communityId,
      record.accountId,
      undefined,
      [record.channelId],
      record.channelId,
    );
  };

  const ensureRoom = async (channelId: string): Promise<VoiceRoom> => {
    const { rooms: r } = requireSfu();
    const known = channelRooms.get(channelId);
    if (known && (await r.exists(known))) return known;
    const room = await r.create(channelId);
    channelRooms.set(channelId, room);
    bus.publish(VOICE_CHANNEL, {
      type: "voice-room",
      nodeId,
      channelId,
      room: room.room,
      secret: room.secret,
    });
    return room;
  };

  /** The caller's channel in this community, checked as a voice channel it may connect to. */
  const connectable = async (accountId: string, communityId: string, channelId: string) => {
    const found = await loadChannelAccess(store, channelId, accountId, now());
    if (found.channel.communityId !== communityId) {
      throw new VollyError("VOLLY_E_UNKNOWN_CHANNEL", undefined, { channelId });
    }
    if (found.channel.type !== "voice") {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "That is not a voice channel.", { channelId });
    }
    requirePermission(found.permissions, "CONNECT", { channelId });
    return found;
  };

  /** Puts `accountId` into `channelId` (moving it from where it was); returns the new record. */
  const enter = async (
    communityId: string,
    accountId: string,
    deviceId: string,
    channelId: string,
    canSpeak: boolean,
    keep?: VoiceRecord,
  ) => {
    const previous = records.get(key(communityId, accountId));
    const room = await ensureRoom(channelId);
    const record: VoiceRecord = {
      communityId,
      channelId,
      accountId,
      deviceId,
      selfMute: keep?.selfMute ?? false,
      selfDeaf: keep?.selfDeaf ?? false,
      serverMute: (keep?.serverMute ?? false) || !canSpeak,
      serverDeaf: keep?.serverDeaf ?? false,
      joinedAt: previous?.channelId === channelId ? previous.joinedAt : now(),
      participantId: randomInt(1, 2 ** 47),
      token: randomBytes(24).toString("base64url"),
    };
    await requireSfu().rooms.allow(room, record.token);
    setRecord(communityId, accountId, record);
    if (previous) await vacate(previous);
    const moved = previous && previous.channelId !== channelId ? previous.channelId : undefined;
    await dispatchQuietly(
      communityId,
      accountId,
      publicState(record),
      moved ? [channelId, moved] : [channelId],
      moved,
    );
    return { record, room };
  };

  const leaveDevice = (deviceId: string) =>
    serial(async () => {
      if ((connections.get(deviceId) ?? 0) > 0) return;
      for (const record of [...records.values()]) {
        if (record.deviceId === deviceId) await remove(record);
      }
    });

  return {
    async join(device, communityId, channelId) {
      // Who may connect first: a stranger learns nothing, not even whether this server has an SFU.
      const found = await connectable(device.accountId, communityId, channelId);
      const { sfu: s } = requireSfu();
      const canSpeak = hasPermission(found.permissions, "SPEAK");
      const { record, room } = await serial(async () => {
        const previous = records.get(key(communityId, device.accountId));
        return enter(communityId, device.accountId, device.deviceId, channelId, canSpeak, previous);
      });
      const at = now();
      const ice = await iceServersFor(turn, device.accountId, at);
      return {
        state: publicState(record),
        sfu: {
          url: s.publicUrl,
          room: room.room,
          participantId: record.participantId,
          token: record.token,
          ...(s.tokenSecret !== undefined
            ? {
                gatewayToken: signGatewayToken(s.tokenSecret, Math.floor(at / 1000) + MAX_TURN_TTL_SECONDS, [
                  VIDEOROOM_PLUGIN,
                ]),
              }
            : {}),
        },
        iceServers: ice.iceServers,
        ttlSeconds: ice.ttlSeconds,
      };
    },
    async leave(device, communityId) {
      await serial(async () => {
        const record = records.get(key(communityId, device.accountId));
        if (record) await remove(record);
      });
    },
    async updateSelf(device, communityId, body) {
      return serial(async () => {
        const record = records.get(key(communityId, device.accountId));
        if (!record) throw notInVoice(communityId, device.accountId);
        const next = { ...record, ...body };
        setRecord(communityId, device.accountId, next);
        await dispatchQuietly(communityId, device.accountId, publicState(next), [next.channelId]);
        return publicState(next);
      });
    },
    async moderate(device, communityId, accountId, body) {
      // A community member first (else VOLLY_E_UNKNOWN_COMMUNITY): strangers learn nothing of its voice.
      await loadAccess(store, communityId, device.accountId, now());
      const current = records.get(key(communityId, accountId));
      if (!current) throw notInVoice(communityId, accountId);
      const { permissions } = await loadChannelAccess(store, current.channelId, device.accountId, now());
      if (body.serverMute !== undefined) requirePermission(permissions, "MUTE_MEMBERS");
      if (body.serverDeaf !== undefined) requirePermission(permissions, "DEAFEN_MEMBERS");
      if (body.channelId !== undefined) requirePermission(permissions, "MOVE_MEMBERS");
      const target =
        typeof body.channelId === "string" && body.channelId !== current.channelId
          ? await connectable(accountId, communityId, body.channelId)
          : undefined;
      return serial(async () => {
        const record = records.get(key(communityId, accountId));
        if (!record) throw notInVoice(communityId, accountId);
        if (body.channelId === null) {
          await remove(record);
          return null;
        }
        let next: VoiceRecord = {
          ...record,
          ...(body.serverMute !== undefined ? { serverMute: body.serverMute } : {}),
          ...(body.serverDeaf !== undefined ? { serverDeaf: body.serverDeaf } : {}),
        };
        if (target) {
          const canSpeak = hasPermission(target.permissions, "SPEAK");
          next = (await enter(communityId, accountId, record.deviceId, target.channel.id, canSpeak, next))
            .record;
          return publicState(next);
        }
        setRecord(communityId, accountId, next);
        const room = channelRooms.get(next.channelId);
        if (room && rooms && body.serverMute !== undefined) {
          await rooms.moderate(room, next.participantId, next.serverMute);
        }
        await dispatchQuietly(communityId, accountId, publicState(next), [next.channelId]);
        return publicState(next);
      });
    },
    async reconcile(communityId) {
      const inCommunity = [...records.values()].filter((r) => r.communityId === communityId);
      for (const record of inCommunity) {
        try {
          const allowed = await connectable(record.accountId, communityId, record.channelId).then(
            () => true,
            (error: unknown) => {
              if (error instanceof VollyError) return false;
              throw error;
            },
          );
          if (allowed) continue;
          await serial(async () => {
            const current = records.get(key(communityId, record.accountId));
            if (current?.channelId === record.channelId) await remove(current);
          });
        } catch (error) {
          log.error(
            { communityId, accountId: record.accountId, err: String(error) },
            "voice access check after a community change failed",
          );
        }
      }
    },
    async list(device, communityId) {
      const access = await loadAccess(store, communityId, device.accountId, now());
      const overwrites = await store.communities.listCommunityOverwrites(communityId);
      const at = now();
      const visible = new Map<string, boolean>();
      const sees = (channelId: string) => {
        let yes = visible.get(channelId);
        if (yes === undefined) {
          yes = hasPermission(
            channelPermissionsOf(
              access.subject,
              overwrites.filter((o) => o.channelId === channelId),
              at,
            ),
            "VIEW_CHANNEL",
          );
          visible.set(channelId, yes);
        }
        return yes;
      };
      return [...records.values()]
        .filter((r) => r.communityId === communityId && sees(r.channelId))
        .map(publicState)
        .sort((a, b) => a.joinedAt - b.joinedAt);
    },
    connectionOpened(deviceId) {
      connections.set(deviceId, (connections.get(deviceId) ?? 0) + 1);
      clearTimeout(graceTimers.get(deviceId));
      graceTimers.delete(deviceId);
    },
    connectionClosed(deviceId) {
      const left = Math.max(0, (connections.get(deviceId) ?? 0) - 1);
      if (left > 0) {
        connections.set(deviceId, left);
        return;
      }
      connections.delete(deviceId);
      if (![...records.values()].some((r) => r.deviceId === deviceId)) return;
      clearTimeout(graceTimers.get(deviceId));
      const timer = setTimeout(() => {
        graceTimers.delete(deviceId);
        leaveDevice(deviceId).catch((error: unknown) =>
          log.error({ err: String(error) }, "voice: leaving after a dropped connection failed"),
        );
      }, graceMs);
      timer.unref();
      graceTimers.set(deviceId, timer);
    },
    close() {
      unsubscribe();
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
      rooms?.close();
    },
  };
}
