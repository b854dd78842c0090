/**
 * Whether `message` mentions this account: for now an `@myHandle` in its text (case-insensitive,
 * not inside a longer handle). The SDK's `mentionsMe` field of a message record replaces this once
 * mentions exist as content.
 *
 * @param message the message as the UI has it (its `text`; "" for a non-text body)
 * @param myHandle this account's handle, without `@`
 */
export function mentionsMe(message: { text: string }, myHandle: string): boolean {
  if (!myHandle) return false;
  const escaped = myHandle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^A-Za-z0-9_.-])@${escaped}(?![A-Za-z0-9_-])`, "i").test(message.text);
}
