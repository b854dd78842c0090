import {
  type AckFrame,
  type DispatchEventName,
  type DispatchPayload,
  GatewayOp,
  type IdentifyFrame,
  newId,
  PROTOCOL_VERSION,
  type ResumeFrame,
  type SendFrame,
  VOLLY_VERSION,
  VollyError,
} from "@volly/protocol";
import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import { type Bus, deviceChannel } from "../bus/bus.js";
import type { BusMessage } from "../bus/messages.js";
import { describeError } from "../describe-error.js";
import type { Metrics } from "../metrics.js";
import type { AuthContext } from "../services/context.js";
import type { Services } from "../services/services.js";
import type { AckBuffer } from "./ack-buffer.js";
import { type ConnectionPresence, createConnectionPresence } from "./connection-presence.js";
import { createDeliveryPump, type DeliveryPump } from "./delivery-pump.js";
import {
  decodeFrame,
  encodeDispatch,
  encodeFrame,
  errorFrame,
  type InboundFrame,
  type TypingFrame,
} from "./frames.js";
import type { PresenceTracker } from "./presence-tracker.js";
import { createRateGate } from "./rate-gate.js";
import { createSendLanes } from "./send-lanes.js";
import { createSerialQueue } from "./serial-queue.js";
import type { GatewaySession, SessionHolder, SessionRegistry } from "./session-registry.js";

/** Minimum time between two relayed TYPING frames of one connection for one group (ms); excess is dropped. */
export const TYPING_MIN_INTERVAL_MS = 1_000;

/** Most SENDs one connection may have waiting for their commit; more get VOLLY_E_RATE_LIMITED. */
export const MAX_SENDS_IN_FLIGHT = 256;

/** What every gateway connection shares. */
export interface GatewayDeps {
  services: Services;
  bus: Bus;
  registry: SessionRegistry;
  /** This node's presence bookkeeping. */
  presence: PresenceTracker;
  heartbeatIntervalMs: number;
  log: FastifyBaseLogger;
  /** Where dispatches and live delivery latency are counted; optional in tests. */
  metrics?: Pick<Metrics, "dispatched" | "deliveryLatency">;
  /** Clock (ms since the Unix epoch) for the delivery latency; default `Date.now`. */
  now?: () => number;
  /** Where ACKs are collected and written together. */
  acks: AckBuffer;
}

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
  /** Resolves when the socket has closed. */
  closed: Promise<void>;
}

/**
 * Runs the gateway protocol on one WebSocket: HELLO, then IDENTIFY or RESUME (signed HELLO nonce),
 * READY/RESUMED, the current presence of the accounts sharing a group, the backlog and SYNCED, live
 * dispatches (GROUP_MESSAGE, WELCOME, PRESENCE_UPDATE, TYPING_START), ACKs, PRESENCE_UPDATE and
 * TYPING frames, and heartbeats. A bad frame gets an ERROR frame and the connection stays open; a
 * failed authentication gets an ERROR frame and the close code of its error; silence for twice the
 * heartbeat interval gets ERROR VOLLY_E_HEARTBEAT_TIMEOUT and close 4009. Never logs frame payloads.
 *
 * @param socket an open `ws` WebSocket (its maxPayload is LIMITS.inboundFrameHardCapBytes; decodeFrame refuses
 *   frames over LIMITS.maxInboundFrameBytes with VOLLY_E_FRAME_TOO_LARGE)
 */
export function runConnection(socket: WebSocket, deps: GatewayDeps): GatewayConnection {
  const { services, bus, registry, heartbeatIntervalMs, log } = deps;
  const now = deps.now ?? Date.now;
  const queue = createSerialQueue();
  const nonce = newId();
  const connectionId = newId();
  const typingGate = createRateGate(TYPING_MIN_INTERVAL_MS);
  const sendLanes = createSendLanes(services.delivery.sendsInCallOrder);
  let session: GatewaySession | undefined;
  let pump: DeliveryPump | undefined;
  let presence: ConnectionPresence | undefined;
  let unsubscribeDeviceEvents: (() => void) | undefined;
  let closed = false;
  let resolveClosed: () => void = () => {};
  const closedPromise = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  /** The TCP socket under the WebSocket (ws keeps it as `_socket`), for corking. */
  const tcp = (socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
  let corked = false;
  const send = (text: string): boolean => {
    if (closed || socket.readyState !== socket.OPEN) return false;
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
  const sendError = (error: VollyError) => send(errorFrame(error.toBody()));
  const close = (code: number, reason: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
      socket.close(code, reason);
  };
  const fail = (error: VollyError) => {
    sendError(error);
    close(error.closeCode, error.code);
  };

  const dispatch = <T extends DispatchEventName>(t: T, d: DispatchPayload<T>): boolean => {
    if (!session || closed || socket.readyState !== socket.OPEN) return false;
    session.seq += 1;
    const sent = send(encodeDispatch(session.seq, t, d));
    if (sent) deps.metrics?.dispatched(t);
    return sent;
  };

  const holder: SessionHolder = {
    supersede() {
      detach();
      fail(new VollyError("VOLLY_E_SESSION_INVALID", "The session was resumed on another connection."));
    },
  };

  const detach = () => {
    unsubscribeDeviceEvents?.();
    unsubscribeDeviceEvents = undefined;
    pump?.stop();
    pump = undefined;
    presence?.stop();
    presence = undefined;
    if (session) registry.release(session.sessionId, holder);
    session = undefined;
  };

  /**
   * Device events of the connection's device: a claimed link of its account → DEVICE_LINK_CLAIMED;
   * its revocation → ERROR VOLLY_E_DEVICE_REVOKED and close 4010.
   */
  const onDeviceEvent = (message: BusMessage) => {
    if (closed) return;
    if (message.type === "device-link-claimed") {
      const { linkId, signaturePublicKey, name, proof } = message;
      queue
        .push(async () => void dispatch("DEVICE_LINK_CLAIMED", { linkId, signaturePublicKey, name, proof }))
        .catch(() => {});
    } else if (message.type === "device-revoked") {
      detach();
      fail(new VollyError("VOLLY_E_DEVICE_REVOKED"));
    }
  };

  /** After READY/RESUMED: presence of the accounts sharing a group, then the backlog and live delivery. */
  const startDelivery = async (device: AuthContext) => {
    unsubscribeDeviceEvents = bus.subscribe(deviceChannel(device.deviceId), onDeviceEvent);
    const onError = (error: unknown) => log.error({ err: describeError(error) }, "gateway delivery failed");
    const connectionPresence = createConnectionPresence({
      connectionId,
      device,
      tracker: deps.presence,
      presence: services.presence,
      queue,
      dispatch,
      onError,
    });
    presence = connectionPresence;
    pump = createDeliveryPump({
      deviceId: device.deviceId,
      delivery: services.delivery,
      bus,
      queue,
      dispatch,
      bufferedAmount: () => socket.bufferedAmount,
      onError,
      onTyping: (message) => {
        if (message.deviceId === device.deviceId) return;
        const { groupId, accountId, handle, deviceId, at } = message;
        dispatch("TYPING_START", { groupId, accountId, handle, deviceId, at });
      },
      onMembershipChange: () => connectionPresence.refreshPeers(),
      onLiveDispatch: (createdAt) => deps.metrics?.deliveryLatency((now() - createdAt) / 1000),
    });
    await connectionPresence.start();
    // Acks of an earlier connection still in the buffer are stored before the backlog is read.
    await deps.acks.settle(device.deviceId);
    await pump.start();
  };

  const identify = async (frame: IdentifyFrame) => {
    if (session) throw new VollyError("VOLLY_E_ALREADY_AUTHENTICATED");
    if (frame.d.protocolVersion !== PROTOCOL_VERSION) {
      fail(
        new VollyError("VOLLY_E_BAD_REQUEST", `This server speaks protocol version ${PROTOCOL_VERSION}.`, {
          protocolVersion: PROTOCOL_VERSION,
        }),
      );
      return;
    }
    const device = await verify(frame.d.deviceId, frame.d.signature);
    if (!device || closed) return;
    session = { sessionId: newId(), ...device, seq: 0 };
    registry.attach(session, holder);
    log.debug({ sessionId: session.sessionId, deviceId: device.deviceId }, "gateway identified");
    dispatch("READY", {
      sessionId: session.sessionId,
      accountId: device.accountId,
      deviceId: device.deviceId,
      handle: device.handle,
    });
    await startDelivery(device);
  };

  const resume = async (frame: ResumeFrame) => {
    if (session) throw new VollyError("VOLLY_E_ALREADY_AUTHENTICATED");
    const device = await verify(frame.d.deviceId, frame.d.signature);
    if (!device || closed) return;
    const resumed = registry.resume(frame.d.sessionId, device.deviceId, holder);
    if (!resumed) {
      send(encodeFrame({ op: GatewayOp.INVALID_SESSION, d: { resumable: false } }));
      return;
    }
    session = resumed;
    log.debug({ sessionId: resumed.sessionId, deviceId: device.deviceId }, "gateway resumed");
    dispatch("RESUMED", { sessionId: resumed.sessionId });
    await startDelivery(device);
  };

  /** Verifies the HELLO-nonce signature; on failure sends the error and closes. */
  const verify = async (deviceId: string, signature: string): Promise<AuthContext | undefined> => {
    try {
      return await services.auth.verifyIdentify(deviceId, nonce, signature);
    } catch (error) {
      if (!(error instanceof VollyError)) throw error;
      fail(error);
      return undefined;
    }
  };

  const ack = async (frame: AckFrame) => {
    if (!session) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
    // Only what this connection dispatched can be acknowledged: that keeps every cursor within the
    // device's memberships and the groups' logs without reading the store.
    const cursors = frame.d.cursors.flatMap(({ groupId, seq }) => {
      const upTo = pump?.dispatchedUpTo(groupId);
      return upTo ? [{ groupId, seq: Math.min(seq, upTo) }] : [];
    });
    deps.acks.add(session.deviceId, cursors, frame.d.welcomeIds);
  };

  /**
   * Appends an application message sent over the gateway (SEND): the same checks and the same
   * durable append as POST /v1/groups/:groupId/messages, answered with SEND_ACK once committed or
   * with ERROR carrying details.messageId. Runs outside the connection's queue, so dispatches keep
   * flowing while the commit is pending, in the order of arrival per group (see send-lanes.ts).
   */
  const sendMessage = (frame: SendFrame) => {
    const { groupId, messageId, epoch, ciphertext } = frame.d;
    const refuse = (error: VollyError) =>
      send(errorFrame({ ...error.toBody(), details: { ...error.details, messageId } }));
    if (!session) return refuse(new VollyError("VOLLY_E_NOT_AUTHENTICATED"));
    if (sendLanes.pending >= MAX_SENDS_IN_FLIGHT) {
      return refuse(
        new VollyError(
          "VOLLY_E_RATE_LIMITED",
          `At most ${MAX_SENDS_IN_FLIGHT} SENDs may wait for their commit.`,
        ),
      );
    }
    const sender = session;
    sendLanes
      .run(groupId, (ordered) =>
        services.delivery.sendMessage(
          sender.deviceId,
          groupId,
          { messageId, epoch, ciphertext },
          sender,
          ordered,
        ),
      )
      .then(
        ({ seq, duplicate }) =>
          void send(
            `{"op":${GatewayOp.SEND_ACK},"d":{"groupId":"${groupId}","messageId":"${messageId}","seq":${seq},"duplicate":${duplicate}}}`,
          ),
        (error: unknown) => {
          if (error instanceof VollyError) return void refuse(error);
          log.error({ err: describeError(error) }, "gateway send failed");
          refuse(new VollyError("VOLLY_E_INTERNAL"));
        },
      );
  };

  /** Relays a TYPING frame; beyond one per group per TYPING_MIN_INTERVAL_MS frames are dropped silently. */
  const typing = async (frame: TypingFrame) => {
    if (!session) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
    if (!typingGate.allow(frame.d.groupId)) return;
    await services.typing.start(session, frame.d.groupId);
  };

  const handle = async (
    frame: Exclude<InboundFrame, { op: typeof GatewayOp.HEARTBEAT | typeof GatewayOp.SEND }>,
  ) => {
    switch (frame.op) {
      case GatewayOp.IDENTIFY:
        return identify(frame);
      case GatewayOp.RESUME:
        return resume(frame);
      case GatewayOp.ACK:
        return ack(frame);
      case GatewayOp.TYPING:
        return typing(frame);
      case GatewayOp.PRESENCE_UPDATE:
        if (!session || !presence) throw new VollyError("VOLLY_E_NOT_AUTHENTICATED");
        presence.setStatus(frame.d.status);
        return;
    }
  };

  // Heartbeat: any frame counts as a sign of life; silence for 2 intervals closes the connection.
  const deadline = setTimeout(() => {
    log.debug({ sessionId: session?.sessionId }, "gateway heartbeat timeout");
    fail(new VollyError("VOLLY_E_HEARTBEAT_TIMEOUT"));
  }, 2 * heartbeatIntervalMs);
  deadline.unref();

  socket.on("message", (data, isBinary) => {
    if (closed) return;
    deadline.refresh();
    let frame: ReturnType<typeof decodeFrame>;
    try {
      frame = decodeFrame(toBuffer(data), isBinary);
    } catch (error) {
      sendError(error instanceof VollyError ? error : new VollyError("VOLLY_E_MALFORMED_FRAME"));
      return;
    }
    if (frame.op === GatewayOp.HEARTBEAT) {
      send(encodeFrame({ op: GatewayOp.HEARTBEAT_ACK, d: null }));
      return;
    }
    if (frame.op === GatewayOp.SEND) {
      sendMessage(frame);
      return;
    }
    queue
      .push(async () => {
        if (closed) return;
        try {
          await handle(frame);
        } catch (error) {
          if (error instanceof VollyError) {
            sendError(error);
            return;
          }
          log.error({ err: describeError(error), op: frame.op }, "gateway frame handling failed");
          sendError(new VollyError("VOLLY_E_INTERNAL"));
        }
      })
      .catch(() => {});
  });

  socket.on("close", (code) => {
    closed = true;
    clearTimeout(deadline);
    log.debug({ sessionId: session?.sessionId, code }, "gateway closed");
    if (session) void deps.acks.settle(session.deviceId);
    detach();
    resolveClosed();
  });

  send(
    encodeFrame({
      op: GatewayOp.HELLO,
      d: { heartbeatIntervalMs, nonce, protocolVersion: PROTOCOL_VERSION, serverVersion: VOLLY_VERSION },
    }),
  );

  const resync = () => {
    if (closed) return;
    pump?.resync();
    presence?.refreshPeers();
  };

  return { close, idle: () => queue.idle(), resync, closed: closedPromise };
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
