/**
 * Whether a key press asks for the message search: Ctrl+K (⌘K on a Mac) anywhere, or "/" when the
 * focus is not in a place where "/" is typed (a text field, a select, an editable element).
 */
export function searchShortcut(ev: KeyboardEvent): boolean {
  if (ev.defaultPrevented || ev.altKey) return false;
  if ((ev.ctrlKey || ev.metaKey) && !ev.shiftKey && ev.key.toLowerCase() === "k") return true;
  if (ev.key !== "/" || ev.ctrlKey || ev.metaKey) return false;
  const target = ev.target as HTMLElement | null;
  if (!target || typeof target.closest !== "function") return true;
  return !target.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])");
}
