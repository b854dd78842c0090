import {
  type DispatchEventName,
  type DispatchPayload,
  GatewayOp,
  newId,
  PROTOCOL_VERSION,
  VOLLY_VERSION,
  VollyError,
} from "@volly/protocol";
import type { WebSocket } from "ws";
import { deviceChannel } from "../bus/bus.js";
import type { BusMessage } from "../bus/messages.js";
import { describeError } from "../describe-error.js";
import { requireScope } from "../services/api-keys/grants.js";
import type { AuthContext } from "../services/context.js";
import type { ConnectionContext, GatewayDeps } from "./connection-context.js";
import { createConnectionPresence } from "./connection-presence.js";
import { createDeliveryPump } from "./delivery-pump.js";
import { decodeFrame, encodeDispatch, encodeFrame, errorFrame, type InboundFrame } from "./frames.js";
import type { ClientOp, OpHandler } from "./ops/op-handler.js";
import { OP_HANDLERS } from "./ops/registry.js";
import { createRateGate } from "./rate-gate.js";
import { createSerialQueue } from "./serial-queue.js";
import type { SessionHolder } from "./session-registry.js";

/** Minimum time between two relayed TYPING frames of one connection for one group (ms); excess is dropped. */
export const TYPING_MIN_INTERVAL_MS = 1_000;

/** A live gateway connection, as the gateway's connection table sees it. */
export interface GatewayConnection {
  /** Closes the socket (RFC 6455 §7.4 code, reason ≤ 123 bytes). */
  close(code: number, reason: string): void;
  /** Resolves once queued work (frame handling, dispatches) has settled. */
  idle(): Promise<void>;
  /**
   * Re-reads the store for everything this connection may have missed (the bus lost messages) and
   * refreshes the presence of the accounts it watches. No-op before READY.
   */
  resync(): void;
  /** Resolves when the connection has authenticated (READY or RESUMED); never if it closes first. */
  authenticated: Promise<void>;
  /** Resolves when the socket has closed. */
  closed: Promise<void>;
}

/** The connection's own view of its context: the fields handlers only read. */
type ConnectionState = { -readonly [K in keyof ConnectionContext]: ConnectionContext[K] };

/**
 * Runs the gateway protocol on one WebSocket: HELLO, then IDENTIFY or RESUME (signed HELLO nonce),
 * READY/RESUMED, the current presence of the accounts sharing a group, the backlog and SYNCED, live
 * dispatches (GROUP_MESSAGE, WELCOME, PRESENCE_UPDATE, TYPING_START, DEVICE_LINK_CLAIMED,
 * EPHEMERAL_MESSAGE), and
 * every client op through its handler in `ops/` (see {@link OP_HANDLERS}). A bad frame gets an
 * ERROR frame and the connection stays open; a failed authentication gets an ERROR frame and the
 * close code of its error; silence for twice the heartbeat interval gets ERROR
 * VOLLY_E_HEARTBEAT_TIMEOUT and close 4009; no READY/RESUMED within `deps.identifyTimeoutMs` of HELLO
 * gets ERROR VOLLY_E_IDENTIFY_TIMEOUT and close 4011. Never logs frame payloads.
 *
 * @param socket an open `ws` WebSocket (its maxPayload is LIMITS.inboundFrameHardCapBytes; decodeFrame refuses
 *   frames over LIMITS.maxInboundFrameBytes with VOLLY_E_FRAME_TOO_LARGE)
 */
export function runConnection(socket: WebSocket, deps: GatewayDeps): GatewayConnection {
  const { services, bus, heartbeatIntervalMs, log } = deps;
  const now = deps.now ?? Date.now;
  const queue = createSerialQueue();
  const connectionId = newId();
  let resolveClosed: () => void = () => {};
  const closedPromise = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let resolveAuthenticated: () => void = () => {};
  const authenticatedPromise = new Promise<void>((resolve) => {
    resolveAuthenticated = resolve;
  });
  let unsubscribeDeviceEvents: (() => void) | undefined;

  /** The TCP socket under the WebSocket (ws keeps it as `_socket`), for corking. */
  const tcp = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  let corked = false;
  const send = (text: string): boolean => {
    if (c.closed || socket.readyState !== socket.OPEN) return false;
    if (tcp && !corked) {
      // Frames sent in the same tick (a batch of messages fanned out) leave in one write.
      corked = true;
      tcp.cork();
      process.nextTick(() => {
        corked = false;
        tcp.uncork();
      });
    }
    socket.send(text);
    return true;
  };
  const close = (code: number, reason: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
      socket.close(code, reason);
  };

  const holder: SessionHolder = {
    supersede() {
      detach();
      c.fail(new VollyError("VOLLY_E_SESSION_INVALID", "The session was resumed on another connection."));
    },
  };

  /** Closes the connection when the API key of its session expires (rotation moves the time). */
  let keyExpiry: NodeJS.Timeout | undefined;
  const watchKeyExpiry = () => {
    clearTimeout(keyExpiry);
    const at = c.session?.apiKey?.expiresAt;
    if (at === undefined) return;
    keyExpiry = setTimeout(
      () => {
        detach();
        c.fail(new VollyError("VOLLY_E_API_KEY_EXPIRED"));
      },
      Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1),
    );
    keyExpiry.unref();
  };

  const detach = () => {
    clearTimeout(keyExpiry);
    unsubscribeDeviceEvents?.();
    unsubscribeDeviceEvents = undefined;
    c.pump?.stop();
    c.pump = undefined;
    c.presence?.stop();
    c.presence = undefined;
    if (c.session) deps.registry.release(c.session.sessionId, holder);
    c.session = undefined;
  };

  /**
   * Device events of the connection's device: a claimed link of its account → DEVICE_LINK_CLAIMED;
   * a change of one of its account's communities → COMMUNITY_UPDATE; its revocation → ERROR VOLLY_E_DEVICE_REVOKED and close 4010; the revocation of the API key its session was made with → ERROR VOLLY_E_API_KEY_REVOKED, its expiry (a rotation's overlap ending) → VOLLY_E_API_KEY_EXPIRED, close 4014.
   */
  const onDeviceEvent = (message: BusMessage) => {
    if (c.closed) return;
    if (message.type === "device-link-claimed") {
      const { linkId, signaturePublicKey, name, proof } = message;
      queue
        .push(async () => void c.dispatch("DEVICE_LINK_CLAIMED", { linkId, signaturePublicKey, name, proof }))
        .catch(() => {});
    } else if (message.type === "community-updated") {
      const { communityId } = message;
      queue.push(async () => void c.dispatch("COMMUNITY_UPDATE", { communityId })).catch(() => {});
    } else if (message.type === "voice-state") {
      const { communityId, accountId, previousChannelId, state } = message;
      const payload = {
        communityId,
        accountId,
        ...(previousChannelId !== undefined ? { previousChannelId } : {}),
        state: state ?? null,
      };
      queue.push(async () => void c.dispatch("VOICE_STATE_UPDATE", payload)).catch(() => {});
    } else if (message.type === "device-revoked") {
      detach();
      c.fail(new VollyError("VOLLY_E_DEVICE_REVOKED"));
    } else if (message.type === "api-key-changed" && c.session?.apiKey?.id === message.apiKeyId) {
      if (message.revoked) {
        detach();
        c.fail(new VollyError("VOLLY_E_API_KEY_REVOKED"));
      } else if (message.expiresAt !== undefined) {
        c.session.apiKey = { ...c.session.apiKey, expiresAt: message.expiresAt };
        watchKeyExpiry();
      }
    }
  };

  /** After READY/RESUMED: presence of the accounts sharing a group, then the backlog and live delivery. */
  const startDelivery = async (device: AuthContext) => {
    unsubscribeDeviceEvents = bus.subscribe(deviceChannel(device.deviceId), onDeviceEvent);
    services.voice?.connectionOpened(device.deviceId);
    const onError = (error: unknown) => log.error({ err: describeError(error) }, "gateway delivery failed");
    const connectionPresence = createConnectionPresence({
      connectionId,
      device,
      tracker: deps.presence,
      presence: services.presence,
      queue,
      dispatch: c.dispatch,
      onError,
    });
    c.presence = connectionPresence;
    const pump = createDeliveryPump({
      deviceId: device.deviceId,
      delivery: services.delivery,
      bus,
      queue,
      dispatch: c.dispatch,
      bufferedAmount: () => socket.bufferedAmount,
      onError,
      onTyping: (message) => {
        if (message.deviceId === device.deviceId) return;
        const { groupId, accountId, handle, deviceId, at } = message;
        c.dispatch("TYPING_START", { groupId, accountId, handle, deviceId, at });
      },
      onMembershipChange: () => connectionPresence.refreshPeers(),
      onLiveDispatch: (createdAt) => deps.metrics?.deliveryLatency((now() - createdAt) / 1000),
    });
    c.pump = pump;
    await connectionPresence.start();
    // Acks of an earlier connection still in the buffer are stored before the backlog is read.
    await deps.acks.settle(device.deviceId);
    await pump.start();
  };

  const c: ConnectionState = {
    deps,
    nonce: newId(),
    session: undefined,
    pump: undefined,
    presence: undefined,
    sendsPending: 0,
    typingGate: createRateGate(TYPING_MIN_INTERVAL_MS),
    holder,
    closed: false,
    send,
    sendError: (error) => send(errorFrame(error.toBody())),
    fail(error) {
      c.sendError(error);
      close(error.closeCode, error.code);
    },
    dispatch<T extends DispatchEventName>(t: T, d: DispatchPayload<T>): boolean {
      const { session } = c;
      if (!session || c.closed || socket.readyState !== socket.OPEN) return false;
      session.seq += 1;
      const sent = send(encodeDispatch(session.seq, t, d));
      if (sent) deps.metrics?.dispatched(t);
      return sent;
    },
    async verify(deviceId, signature, apiKey) {
      try {
        const device = await services.auth.verifyIdentify(deviceId, c.nonce, signature, apiKey);
        requireScope(device.apiKey, "read"); // a gateway session receives deliveries
        return device;
      } catch (error) {
        if (!(error instanceof VollyError)) throw error;
        c.fail(error);
        return undefined;
      }
    },
    async begin(session, device, event, payload) {
      c.session = session;
      clearTimeout(identifyDeadline);
      resolveAuthenticated();
      watchKeyExpiry();
      c.dispatch(event, payload);
      await startDelivery(device);
    },
  };

  /** Runs a handler; a VollyError is answered with an ERROR frame, anything else logged as internal. */
  const handleFailure = (error: unknown, op: number) => {
    if (error instanceof VollyError) {
      c.sendError(error);
      return;
    }
    log.error({ err: describeError(error), op }, "gateway frame handling failed");
    c.sendError(new VollyError("VOLLY_E_INTERNAL"));
  };

  // Heartbeat: any frame counts as a sign of life; silence for 2 intervals closes the connection.
  const deadline = setTimeout(() => {
    log.debug({ sessionId: c.session?.sessionId }, "gateway heartbeat timeout");
    c.fail(new VollyError("VOLLY_E_HEARTBEAT_TIMEOUT"));
  }, 2 * heartbeatIntervalMs);
  deadline.unref();
  // Authentication: a connection must be READY/RESUMED in time, whatever else it sends.
  const identifyDeadline = setTimeout(() => {
    if (c.session) return;
    log.debug("gateway identify timeout");
    c.fail(new VollyError("VOLLY_E_IDENTIFY_TIMEOUT"));
  }, deps.identifyTimeoutMs);
  identifyDeadline.unref();

  socket.on("message", (data, isBinary) => {
    if (c.closed) return;
    deadline.refresh();
    const bytes = toBuffer(data);
    let frame: InboundFrame;
    try {
      frame = decodeFrame(bytes, isBinary);
    } catch (error) {
      c.sendError(error instanceof VollyError ? error : new VollyError("VOLLY_E_MALFORMED_FRAME"));
      return;
    }
    // One cast where TypeScript cannot correlate a union key with its handler's frame type.
    const handler = OP_HANDLERS[frame.op] as OpHandler<ClientOp>;
    if (!handler.serial) {
      try {
        const result = handler.handle(frame as never, c, bytes.length);
        if (result) result.catch((error: unknown) => handleFailure(error, frame.op));
      } catch (error) {
        handleFailure(error, frame.op);
      }
      return;
    }
    queue
      .push(async () => {
        if (c.closed) return;
        try {
          await handler.handle(frame as never, c, bytes.length);
        } catch (error) {
          handleFailure(error, frame.op);
        }
      })
      .catch(() => {});
  });

  socket.on("close", (code) => {
    c.closed = true;
    clearTimeout(deadline);
    clearTimeout(identifyDeadline);
    log.debug({ sessionId: c.session?.sessionId, code }, "gateway closed");
    if (c.session) void deps.acks.settle(c.session.deviceId);
    // A device whose last connection here dropped leaves its voice channels after a grace period.
    if (c.session) services.voice?.connectionClosed(c.session.deviceId);
    detach();
    resolveClosed();
  });

  send(
    encodeFrame({
      op: GatewayOp.HELLO,
      d: {
        heartbeatIntervalMs,
        nonce: c.nonce,
        protocolVersion: PROTOCOL_VERSION,
        serverVersion: VOLLY_VERSION,
      },
    }),
  );

  const resync = () => {
    if (c.closed) return;
    c.pump?.resync();
    c.presence?.refreshPeers();
  };

  return {
    close,
    idle: () => queue.idle(),
    resync,
    authenticated: authenticatedPromise,
    closed: closedPromise,
  };
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
