import type { ConnectionState } from "../worker/rpc-types.js";

/** The gateway connection as the indicator shows it. */
class ConnectionStore {
  state = $state<ConnectionState>("connecting");
  /** True when the browser says it is offline (the SDK then keeps reconnecting). */
  browserOffline = $state(typeof navigator !== "undefined" && !navigator.onLine);

  /** What the user sees: connected, reconnecting or offline. */
  get label(): "connected" | "connecting" | "reconnecting" | "offline" {
    if (this.browserOffline || this.state === "offline" || this.state === "closed") return "offline";
    if (this.state === "connected") return "connected";
    return this.state === "connecting" ? "connecting" : "reconnecting";
  }
}

export const connection = new ConnectionStore();

if (typeof window !== "undefined") {
  window.addEventListener("online", () => {
    connection.browserOffline = false;
  });
  window.addEventListener("offline", () => {
    connection.browserOffline = true;
  });
}
