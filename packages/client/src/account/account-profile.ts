import { type AttachmentPointer, newId, type ProfileContent, VollyError } from "@volly/protocol";
import type { OutgoingAttachment } from "../attachments/attachments-api.js";
import type { ClientContext } from "../shared/client-context.js";
import type { VaultBatch } from "../storage/vault.js";
import type { AccountProfile, AvatarChangeResult, DisplayNameChange } from "./account-profile-api.js";
import { type AvatarDeps, avatarOf, profileTargets, sendProfile, uploadAvatar } from "./avatar-publish.js";
import { profileSentAfter } from "./profile-announce.js";

/** Longest display name (characters), as the directory and ProfileContent allow. */
export const MAX_DISPLAY_NAME_CHARS = 64;

/** A profile message carrying this account's display name (encrypted; see ProfileContent). */
export function profileContent(displayName: string): ProfileContent {
  return { v: 1, type: "profile", id: newId(), displayName, sentAt: Date.now() };
}

/**
 * Stages this device's profile record with a new display name in `batch`, and makes it the one the
 * client's context reports (`client.profile`).
 */
export function stageOwnDisplayName(ctx: ClientContext, batch: VaultBatch, displayName: string): void {
  ctx.profile = { ...ctx.profile, displayName };
  ctx.stores.profile.put(batch, ctx.profile);
}

/** {@link AccountProfile}: see there. */
export class AccountProfileService implements AccountProfile {
  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: AvatarDeps,
  ) {}

  async setDisplayName(name: string): Promise<DisplayNameChange> {
    const displayName = typeof name === "string" ? name.trim() : "";
    if (displayName.length === 0 || displayName.length > MAX_DISPLAY_NAME_CHARS) {
      throw new VollyError("VOLLY_E_USAGE", `A display name is 1–${MAX_DISPLAY_NAME_CHARS} characters.`);
    }
    await this.ctx.api.call("updateProfile", { body: { displayName } });
    const batch = this.ctx.stores.batch();
    stageOwnDisplayName(this.ctx, batch, displayName);
    await batch.commit();
    const { outbox, state } = this.deps;
    const targets = await profileTargets(state);
    let sent = 0;
    for (const conv of targets) {
      try {
        const record = await profileSentAfter(this.ctx, conv, { displayName });
        await outbox.add(conv.id, profileContent(displayName), undefined, undefined, {
          stage: (b) => this.ctx.stores.profileSent.put(b, conv.id, record),
        });
        sent++;
      } catch (err) {
        this.ctx.diagnostics.report("profile.send", err);
      }
    }
    await outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
    return { displayName, conversations: sent };
  }

  async setAvatar(image: OutgoingAttachment): Promise<AvatarChangeResult> {
    const targets = await profileTargets(this.deps.state);
    const avatar = await uploadAvatar(this.ctx, this.deps, image, targets);
    const conversations = await sendProfile(this.ctx, this.deps, { avatar }, targets);
    return { avatar, conversations };
  }

  async removeAvatar(): Promise<AvatarChangeResult> {
    const targets = await profileTargets(this.deps.state);
    const conversations = await sendProfile(this.ctx, this.deps, { removeAvatar: true }, targets);
    return { conversations };
  }

  avatarOf(accountId: string): Promise<AttachmentPointer | undefined> {
    return avatarOf(this.ctx, this.deps.state, accountId);
  }
}
