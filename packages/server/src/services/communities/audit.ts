import { type AuditAction, newId } from "@volly/protocol";
import type { Repositories } from "../../store/types.js";

/** One audit log entry to record (Discord's audit log: who did what to what, when, and why). */
export interface AuditEvent {
  communityId: string;
  actorAccountId: string;
  action: AuditAction;
  targetId?: string;
  reason?: string;
}

/** Appends an audit log entry inside the action's own transaction, so the two land together. */
export async function recordAudit(tx: Repositories, event: AuditEvent, now: number): Promise<void> {
  await tx.communities.appendAudit({
    id: newId(),
    communityId: event.communityId,
    actorAccountId: event.actorAccountId,
    action: event.action,
    targetId: event.targetId ?? null,
    reason: event.reason ?? null,
    createdAt: now,
  });
}
