/**
 * Saves a decrypted file under its name: an `<a download>` clicked on its object URL. The URL is
 * held a while after the click ({@link SAVE_HOLD_MS}): the browser reads the blob once the download
 * has started, which may be after the click returns, and a URL revoked before that gives a failed
 * download.
 */

/** How long a URL is held after the download was started (ms). */
export const SAVE_HOLD_MS = 60_000;

/**
 * Starts the download of `url` as `name`, then calls `release` after {@link SAVE_HOLD_MS}.
 */
export function saveUrl(url: string, name: string, release: () => void): void {
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.click();
  setTimeout(release, SAVE_HOLD_MS);
}
