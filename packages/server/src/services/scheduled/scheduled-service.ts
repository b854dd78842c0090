import {
  type CreateScheduledBody,
  MAX_SCHEDULE_AHEAD_MS,
  MAX_SCHEDULED_PER_ACCOUNT,
  type ReplaceScheduledBody,
  type ScheduledMessage,
  VollyError,
} from "@volly/protocol";
import { StoreConflict } from "../../store/store-conflict.js";
import type { ScheduledRecord } from "../../store/types.js";
import type { AuthContext, ServiceContext } from "../context.js";
import type { GroupService } from "../groups/group-service.js";

/**
 * Scheduled messages (docs/architecture.md "Scheduled messages"): application messages the server
 * holds as ciphertext and appends to the group's log at their release time
 * (`release-job.ts`). Only the account's own devices see, replace or cancel them; the server never
 * sees their text, rule or time zone — only the group, the sender device and the release time.
 */
export interface ScheduledService {
  /**
   * Holds a message until `body.releaseAt`. The calling device must be a member of the group now
   * (checked again, with community permissions, at release).
   *
   * @throws VOLLY_E_BAD_REQUEST (details.field "releaseAt": in the past or more than 366 days
   *   ahead), VOLLY_E_QUOTA_EXCEEDED (details.scope "scheduled": the account holds 200),
   *   VOLLY_E_MESSAGE_ID_CONFLICT (the id is taken), VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER
   */
  create(device: AuthContext, body: CreateScheduledBody): Promise<ScheduledMessage>;
  /** The account's scheduled messages (unreleased, and refused ones with `failure`), by release time. */
  list(device: AuthContext): Promise<ScheduledMessage[]>;
  /**
   * Replaces a waiting message's ciphertext; the calling device becomes its sender.
   *
   * @throws VOLLY_E_UNKNOWN_SCHEDULED (not this account's, cancelled, released or being released),
   *   VOLLY_E_NOT_GROUP_MEMBER (the calling device is not in the group)
   */
  replace(device: AuthContext, messageId: string, body: ReplaceScheduledBody): Promise<ScheduledMessage>;
  /** Cancels a waiting (or refused) message. @throws VOLLY_E_UNKNOWN_SCHEDULED */
  cancel(device: AuthContext, messageId: string): Promise<{ messageId: string }>;
}

/** The wire form of a stored scheduled message (no ciphertext, no account id). */
export function toScheduledMessage(record: ScheduledRecord): ScheduledMessage {
  return {
    messageId: record.messageId,
    groupId: record.groupId,
    deviceId: record.deviceId,
    epoch: record.epoch,
    releaseAt: record.releaseAt,
    ...(record.seriesId !== undefined ? { seriesId: record.seriesId } : {}),
    createdAt: record.createdAt,
    ...(record.failure !== undefined ? { failure: record.failure } : {}),
  };
}

/**
 * Builds the {@link ScheduledService}.
 *
 * @param groups membership checks (a device sees a group only while its policy lets it)
 */
export function createScheduledService(
  { store, now }: ServiceContext,
  groups: GroupService,
): ScheduledService {
  const unknown = (messageId: string) =>
    new VollyError("VOLLY_E_UNKNOWN_SCHEDULED", undefined, { messageId });
  return {
    async create(device, body) {
      const at = now();
      if (body.releaseAt <= at || body.releaseAt > at + MAX_SCHEDULE_AHEAD_MS) {
        throw new VollyError(
          "VOLLY_E_BAD_REQUEST",
          "releaseAt must be in the future and at most 366 days ahead.",
          { field: "releaseAt" },
        );
      }
      await groups.getGroup(device.deviceId, body.groupId);
      const held = await store.scheduled.countByAccount(device.accountId);
      if (held >= MAX_SCHEDULED_PER_ACCOUNT) {
        throw new VollyError("VOLLY_E_QUOTA_EXCEEDED", "This account holds the most scheduled messages.", {
          scope: "scheduled",
          limit: MAX_SCHEDULED_PER_ACCOUNT,
          used: held,
        });
      }
      const record: ScheduledRecord = {
        messageId: body.messageId,
        groupId: body.groupId,
        accountId: device.accountId,
        deviceId: device.deviceId,
        epoch: body.epoch,
        ciphertext: body.ciphertext,
        ...(body.declares ? { declares: body.declares } : {}),
        releaseAt: body.releaseAt,
        ...(body.seriesId !== undefined ? { seriesId: body.seriesId } : {}),
        createdAt: at,
      };
      try {
        await store.scheduled.insert(record);
      } catch (error) {
        if (!(error instanceof StoreConflict)) throw error;
        throw new VollyError("VOLLY_E_MESSAGE_ID_CONFLICT", undefined, { messageId: body.messageId });
      }
      return toScheduledMessage(record);
    },
    async list(device) {
      return (await store.scheduled.listByAccount(device.accountId)).map(toScheduledMessage);
    },
    async replace(device, messageId, body) {
      const current = await store.scheduled.get(messageId);
      if (!current || current.accountId !== device.accountId) throw unknown(messageId);
      await groups.getGroup(device.deviceId, current.groupId);
      const replaced = await store.scheduled.replace(messageId, device.accountId, {
        deviceId: device.deviceId,
        epoch: body.epoch,
        ciphertext: body.ciphertext,
        ...(body.declares ? { declares: body.declares } : {}),
      });
      const after = replaced ? await store.scheduled.get(messageId) : undefined;
      if (!after) throw unknown(messageId);
      return toScheduledMessage(after);
    },
    async cancel(device, messageId) {
      if (!(await store.scheduled.cancel(messageId, device.accountId))) throw unknown(messageId);
      return { messageId };
    },
  };
}
