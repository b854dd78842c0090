/** The subset of the WHATWG WebSocket the SDK uses; satisfied by browsers' WebSocket and Node's `ws`. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (WHATWG WebSocket `readyState`). */
  readonly readyState: number;
  /** Sends one text frame (a JSON gateway frame); only called while open. */
  send(data: string): void;
  /** Closes the socket with a close code (RFC 6455 §7.4) and reason. */
  close(code?: number, reason?: string): void;
  /** Set by the SDK: called once the socket is open. */
  onopen: ((ev: unknown) => void) | null;
  /** Set by the SDK: called with each received frame (`data`: the frame's text). */
  onmessage: ((ev: { data: unknown }) => void) | null;
  /** Set by the SDK: called once when the socket closed, with the close code and reason. */
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  /** Set by the SDK: called on an error (a close follows). */
  onerror: ((ev: unknown) => void) | null;
}

/** Opens a WebSocket to `url` (ws: or wss:). */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** WebSocket readyState OPEN (RFC 6455 via the WHATWG spec). */
export const WS_OPEN = 1;
