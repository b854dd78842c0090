/** The subset of the WHATWG WebSocket the SDK uses; satisfied by browsers' WebSocket and Node's `ws`. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Opens a WebSocket to `url` (ws: or wss:). */
export type WebSocketFactory = (url: string) => WebSocketLike;

/** WebSocket readyState OPEN (RFC 6455 via the WHATWG spec). */
export const WS_OPEN = 1;
