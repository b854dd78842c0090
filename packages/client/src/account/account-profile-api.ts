import type { AttachmentPointer } from "@volly/protocol";
import type { OutgoingAttachment } from "../attachments/attachments-api.js";

/** What {@link AccountProfile.setDisplayName} did. */
export interface DisplayNameChange {
  /** The display name as stored (trimmed). */
  displayName: string;
  /** How many conversations the new name was sent to (encrypted). */
  conversations: number;
}

/** What {@link AccountProfile.setAvatar} and {@link AccountProfile.removeAvatar} did. */
export interface AvatarChangeResult {
  /** The new avatar's pointer (setAvatar only). */
  avatar?: AttachmentPointer;
  /** How many conversations the change was sent to (encrypted). */
  conversations: number;
}

/**
 * `client.account`: this account's profile as others see it — the display name and the avatar (an
 * encrypted image attachment; initials are drawn from the name when there is none).
 */
export interface AccountProfile {
  /**
   * Sets this account's display name: in the server's directory (what new contacts look up), in
   * this device's profile, and — as an encrypted `profile` message — in each direct and group
   * conversation this device is in, so members (and this account's other devices) show the new
   * name at once. Community members see the directory's name.
   *
   * @param displayName 1–64 characters once trimmed
   * @throws VollyError VOLLY_E_USAGE (blank or over 64 characters; nothing is changed),
   *   VOLLY_E_SERVER_UNREACHABLE (nothing is changed); a conversation the message cannot be queued
   *   for is reported to diagnostics ("profile.send")
   */
  setDisplayName(displayName: string): Promise<DisplayNameChange>;

  /**
   * Sets this account's avatar: encrypts and uploads `image` once (a fresh file key; the server
   * keeps one blob however many conversations point at it), then sends an encrypted `profile`
   * message with its pointer to each direct and group conversation this device is in (as
   * {@link setDisplayName} does), so members show it (`ConversationMember.avatar`, `avatarOf`) and
   * this account's other devices take it (`client.profile.avatar`; devices linked later read it
   * from the account document). Conversations started or joined later, and members added later,
   * get this account's current name and avatar from this device just before its next own message
   * there (nothing is sent where it never speaks). The caller resizes the image
   * and strips its metadata (the web app makes a 256×256 WebP and a ≤6 KiB `thumbnail`, which is
   * what lists show); in Node any image file is sent as it is. `kind` is always "image".
   *
   * @param image the image: `source` (Blob, bytes or `{ path }` in Node), `name`, `mime` (image/*),
   *   optional `width`, `height`, `thumbnail` (≤6 KiB), `blurhash`, `alt`
   * @throws VollyError VOLLY_E_USAGE (not an image type, a thumbnail over 6 KiB, a missing file, no
   *   direct or group conversation to share it in), VOLLY_E_TOO_LARGE, VOLLY_E_QUOTA_EXCEEDED,
   *   VOLLY_E_SERVER_UNREACHABLE (upload failed; nothing is sent or changed)
   */
  setAvatar(image: OutgoingAttachment): Promise<AvatarChangeResult>;

  /**
   * Removes this account's avatar: sends a `profile` message with `removeAvatar` to each direct
   * and group conversation this device is in; members fall back to initials. The blob is removed
   * by the server once no message points at it (message retention, delete for everyone).
   */
  removeAvatar(): Promise<AvatarChangeResult>;

  /**
   * The avatar of an account as this device knows it (this account's own, or the newest one a
   * member sent to a shared conversation), or undefined when it has none. The full image is
   * `client.attachments.download(pointer)`; `pointer.thumbnail` (base64url) is the small preview.
   */
  avatarOf(accountId: string): Promise<AttachmentPointer | undefined>;
}
