import {
  DirectFrame,
  type DirectMessageFrame,
  type EphemeralMessageEvent,
  matches,
  newId,
  P2P_LIMITS,
  type P2pSdpContent,
  P2pSignalContent,
  parse,
  RendezvousFrame,
  utf8,
  VollyError,
} from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { EphemeralIncoming, EphemeralReceived } from "../messaging/ephemeral-incoming.js";
import type { IncomingMessages } from "../messaging/incoming.js";
import type { OutboxRecord } from "../messaging/message-records.js";
import type { Outbox } from "../messaging/outbox.js";
import { sealEphemeralLocked } from "../messaging/seal-ephemeral.js";
import type { TypingService } from "../messaging/typing.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet, type Listeners } from "../shared/listeners.js";
import type { DirectCounts, DirectPaths, DirectPeer, DirectPeersRecord } from "./direct-api.js";
import type { DirectChannel, DirectOffer, DirectPeerFactory } from "./direct-channel.js";
import { lanTags } from "./lan-tags.js";
import type { LanFrame, LanPeerSeen, LanTransport } from "./lan-transport.js";
import { MemberDevices } from "./member-devices.js";
import { RelayBuffer } from "./relay-buffer.js";

/** How direct paths are made (`VollyClientOptions.direct`). */
export interface DirectPathsOptions {
  /** Makes WebRTC connections: `weriftPeerFactory()` in Node, the browser's own in the web app. */
  peers: DirectPeerFactory;
  /** LAN discovery and rendezvous (Node): `startLanTransport()` of `@volly/client/node`. */
  lan?: LanTransport;
  /** How often the LAN tags are computed again, besides after each conversation change (ms). */
  retagEveryMs?: number;
  /** How long an offer waits for its answer (ms). */
  offerTimeoutMs?: number;
}

/** What {@link DirectPathsService} works with (one of each per client). */
export interface DirectPathsDeps {
  ctx: ClientContext;
  queue: KeyedQueue;
  outbox: Outbox;
  incoming: IncomingMessages;
  ephemeral: EphemeralIncoming;
  typing: TypingService;
  /** Conversation changes (a commit changes membership and the LAN tag). */
  conversationChanges: Listeners<ConversationRecord>;
}

/** Where a signal goes: through the server, or straight to a device's LAN rendezvous. */
type Route = { kind: "server" } | { kind: "lan"; host: string; port: number };

interface Link {
  peer: DirectPeer;
  channel: DirectChannel;
  lanAddress?: string;
  /** The peer's mDNS instance when the path was signaled on the LAN. */
  lanInstance?: string;
  /** Frames from this link are handled one after the other, in order. */
  chain: Promise<void>;
}

interface PendingOffer {
  conversationId: string;
  deviceId: string;
  offer: DirectOffer;
  route: Route;
  /** The peer's mDNS instance, from its hello. */
  lanInstance?: string;
}

/** Default of {@link DirectPathsOptions.retagEveryMs}. */
const RETAG_EVERY_MS = 30_000;
/** Default of {@link DirectPathsOptions.offerTimeoutMs}. */
const OFFER_TIMEOUT_MS = 30_000;
/** How soon a LAN device is greeted again while no path to it opened (ms). */
const LAN_RETRY_MS = 3_000;
/** How many LAN sightings are remembered, to match against this device's tags when they change. */
const MAX_REMEMBERED_SIGHTINGS = 256;

/**
 * The SDK's {@link DirectPaths} (see there for the public members; DESIGN.md "P2P and federation",
 * issue 17):
 * - **Signaling inside MLS**: `p2p.hello` and `p2p.sdp` are ephemeral MLS content, relayed by the
 *   server or sent to a LAN device's rendezvous; either way {@link EphemeralIncoming} checks the MLS
 *   sender, so the DTLS fingerprint in a description binds the channel to that member device.
 *   Glare: a device offered to by a device with a smaller id while offering to it gives its own
 *   offer up. On the LAN, of two devices the one whose instance name sorts first says hello.
 * - **Hybrid delivery**: each message the outbox stores goes at once, as the same ciphertext and
 *   message id, to every linked device that is a member of its group; the server's copy still goes
 *   out. Receivers handle it like the log's copy (`IncomingMessages.handleDirect`) and drop whichever
 *   comes second.
 * - **Relay**: a received message with hops left goes on to the other linked member devices of its
 *   group, and is kept a while (`RelayBuffer`) for member devices whose path opens later. Never
 *   through or to a non-member (MLS membership of this device's state), never twice.
 */
export class DirectPathsService implements DirectPaths {
  readonly changes = new ListenerSet<DirectPeer[]>();
  private readonly links = new Map<string, Link>();
  private readonly pending = new Map<string, PendingOffer>();
  private readonly answering = new Set<string>();
  private readonly lanGreeted = new Map<string, number>();
  /** The latest sighting of each LAN device (a device whose tags are new may share one with it). */
  private readonly lanSeen = new Map<string, LanPeerSeen>();
  private tags = new Map<string, string>();
  private readonly buffer = new RelayBuffer();
  private readonly members: MemberDevices;
  private readonly stats: DirectCounts = { sent: 0, received: 0, firstDirect: 0, relayed: 0, dropped: 0 };
  private readonly stops: Array<() => void> = [];
  private retagTimer: ReturnType<typeof setInterval> | undefined;
  private retagging: Promise<void> = Promise.resolve();
  private closed = false;
  private started = false;
  private recording: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: DirectPathsDeps,
    private readonly options?: DirectPathsOptions,
  ) {
    this.members = new MemberDevices(deps.ctx);
  }

  get enabled(): boolean {
    return this.options !== undefined;
  }

  /** Starts listening (outbox, signals, LAN); once. A no-op without options. */
  start(): void {
    if (!this.options || this.closed || this.started) return;
    this.started = true;
    const { outbox, ephemeral, conversationChanges } = this.deps;
    this.stops.push(this.changes.add(() => void this.record(true)));
    void this.record(true);
    this.stops.push(outbox.queued.add((entry) => this.sendOwn(entry)));
    this.stops.push(ephemeral.received.add((r) => this.onSignal(r)));
    this.stops.push(
      conversationChanges.add((conv) => {
        this.members.forget(conv.id);
        this.retag();
      }),
    );
    const lan = this.options.lan;
    if (lan) {
      this.stops.push(lan.seen.add((seen) => this.onLanSeen(lan, seen)));
      this.stops.push(lan.frames.add((frame) => void this.onLanFrame(frame)));
      this.retag();
      this.retagTimer = setInterval(() => this.retag(), this.options.retagEveryMs ?? RETAG_EVERY_MS);
      this.retagTimer.unref?.();
    }
  }

  /** Closes every path and stops the LAN transport. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    if (this.retagTimer) clearInterval(this.retagTimer);
    for (const p of this.pending.values()) p.offer.cancel();
    this.pending.clear();
    for (const link of [...this.links.values()]) link.channel.close();
    if (this.started) await this.record(false);
    await this.retagging;
    await this.options?.lan?.stop();
  }

  peers(): DirectPeer[] {
    return [...this.links.values()].map((l) => ({ ...l.peer }));
  }

  connectedTo(deviceId: string): boolean {
    return this.links.has(deviceId);
  }

  counts(): DirectCounts {
    return { ...this.stats };
  }

  recorded(): Promise<DirectPeersRecord | undefined> {
    return this.deps.ctx.stores.directPeers.get();
  }

  /** Records the open paths for other processes of the profile (`volly status`). */
  private record(running: boolean): Promise<void> {
    const { stores } = this.deps.ctx;
    const value: DirectPeersRecord = { at: Date.now(), running, peers: running ? this.peers() : [] };
    this.recording = this.recording
      .then(() => stores.directPeers.put(stores.batch(), value).commit())
      .catch(this.report("direct.record"));
    return this.recording;
  }

  async offer(conversationId: string): Promise<void> {
    if (!this.options) throw new VollyError("VOLLY_E_USAGE", "Direct paths are not enabled in this client.");
    await this.signal(conversationId, { type: "p2p.hello" }, { kind: "server" });
  }

  /**
   * Sends raw text over the open path to `deviceId`, bypassing every check (for
   * `@volly/client/testing`: a misbehaving peer). False when no path is open.
   */
  sendRawForTest(deviceId: string, text: string): boolean {
    const link = this.links.get(deviceId);
    return link !== undefined && this.trySend(link, text);
  }

  /** Sends a typing notice over the direct paths of the group's member devices. */
  sendTyping(groupId: string): void {
    const frame: DirectFrame = { t: "typing", groupId, handle: this.deps.ctx.profile.handle };
    void this.fanOut(frame, groupId, new Set()).catch(this.report("direct.typing"));
  }

  private sendOwn(entry: OutboxRecord): void {
    if (entry.ciphertext.length > P2P_LIMITS.maxPayloadChars) return; // the server carries it alone
    const { profile } = this.deps.ctx;
    const frame: DirectMessageFrame = {
      t: "message",
      groupId: entry.conversationId,
      messageId: entry.messageId,
      epoch: entry.epoch,
      senderDeviceId: profile.deviceId,
      senderAccountId: profile.accountId,
      senderHandle: profile.handle,
      payload: entry.ciphertext,
      createdAt: entry.queuedAt,
      hops: P2P_LIMITS.maxHops,
    };
    this.buffer.markSeen(frame.messageId);
    this.buffer.keep(frame);
    void this.fanOut(frame, frame.groupId, new Set()).catch(this.report("direct.send"));
  }

  /**
   * Sends a frame to every linked member device of `groupId` except those in `skip`.
   *
   * @returns how many it went to
   */
  private async fanOut(frame: DirectFrame, groupId: string, skip: Set<string>): Promise<number> {
    const text = JSON.stringify(frame);
    let count = 0;
    for (const link of [...this.links.values()]) {
      if (skip.has(link.peer.deviceId)) continue;
      if (!(await this.members.has(groupId, link.peer.deviceId))) continue;
      if (this.trySend(link, text)) count++;
    }
    if (frame.t === "message") this.stats.sent += count;
    return count;
  }

  private trySend(link: Link, text: string): boolean {
    try {
      link.channel.send(text);
      return true;
    } catch {
      link.channel.close();
      return false;
    }
  }

  // ---- receiving frames

  private onFrame(link: Link, text: string): void {
    link.chain = link.chain.then(() => this.handleFrame(link, text)).catch(this.report("direct.frame"));
  }

  private async handleFrame(link: Link, text: string): Promise<void> {
    const frame = parseFrame(text);
    if (!frame) {
      this.stats.dropped++;
      this.deps.ctx.diagnostics.report("direct.malformed", new VollyError("VOLLY_E_BAD_REQUEST"));
      return;
    }
    const from = link.peer;
    if (!(await this.members.has(frame.groupId, from.deviceId))) {
      this.stats.dropped++; // never from (or through) a device that is not a member of the group
      return;
    }
    if (frame.t === "typing") {
      this.deps.typing.handle({
        groupId: frame.groupId,
        accountId: from.accountId,
        handle: from.handle,
        deviceId: from.deviceId,
        at: Date.now(),
      });
      return;
    }
    this.stats.received++;
    if (!this.buffer.markSeen(frame.messageId)) {
      this.stats.dropped++;
      return;
    }
    const { t: _t, hops, ...entry } = frame;
    const stored = await this.deps.incoming.handleDirect({ ...entry, kind: "application" });
    if (stored) this.stats.firstDirect++;
    if (hops === 0) return;
    const next: DirectMessageFrame = { ...frame, hops: hops - 1 };
    this.buffer.keep(next);
    this.stats.relayed += await this.fanOut(
      next,
      next.groupId,
      new Set([from.deviceId, frame.senderDeviceId]),
    );
  }

  // ---- signaling

  private onSignal(received: EphemeralReceived): void {
    if (!matches(P2pSignalContent, received.content) || this.closed) return;
    const content = received.content;
    if (received.fromDeviceId === this.deps.ctx.profile.deviceId) return;
    const route: Route =
      received.lanAddress !== undefined && content.rendezvousPort !== undefined
        ? { kind: "lan", host: received.lanAddress, port: content.rendezvousPort }
        : { kind: "server" };
    const work =
      content.type === "p2p.hello"
        ? this.onHello(received, route, content.lanInstance)
        : content.description.type === "offer"
          ? this.onOffer(received, content, route)
          : this.onAnswer(received, content);
    void work.catch(this.report("direct.signal"));
  }

  private async onHello(from: EphemeralReceived, route: Route, lanInstance?: string): Promise<void> {
    const device = from.fromDeviceId;
    if (this.answering.has(device) || this.offeringTo(device)) return;
    // a device asks only when it has no path to this one: a path still held here is stale
    this.links.get(device)?.channel.close();
    const offer = await this.options!.peers.offer();
    const session = newId();
    this.pending.set(session, {
      conversationId: from.conversationId,
      deviceId: device,
      offer,
      route,
      ...(lanInstance !== undefined ? { lanInstance } : {}),
    });
    const expire = setTimeout(
      () => this.dropPending(session),
      this.options?.offerTimeoutMs ?? OFFER_TIMEOUT_MS,
    );
    expire.unref?.();
    await this.signal(
      from.conversationId,
      { type: "p2p.sdp", session, toDevice: device, description: { type: "offer", sdp: offer.sdp } },
      route,
    ).catch((err: unknown) => {
      this.dropPending(session);
      throw err;
    });
  }

  private async onOffer(from: EphemeralReceived, content: P2pSdpContent, route: Route): Promise<void> {
    const device = from.fromDeviceId;
    const mine = this.offeringTo(device);
    if (mine) {
      // glare: the device with the smaller id keeps its offer
      if (this.deps.ctx.profile.deviceId < device) return;
      this.dropPending(mine);
    }
    if (this.answering.has(device)) return;
    this.answering.add(device);
    try {
      const answer = await this.options!.peers.answer(content.description.sdp);
      await this.signal(
        from.conversationId,
        {
          type: "p2p.sdp",
          session: content.session,
          toDevice: device,
          description: { type: "answer", sdp: answer.sdp },
        },
        route,
      ).catch((err: unknown) => {
        answer.cancel();
        throw err;
      });
      this.addLink(from, await answer.channel, route, content.lanInstance);
    } finally {
      this.answering.delete(device);
    }
  }

  private async onAnswer(from: EphemeralReceived, content: P2pSdpContent): Promise<void> {
    const pending = this.pending.get(content.session);
    if (!pending || pending.deviceId !== from.fromDeviceId) return;
    this.pending.delete(content.session);
    this.addLink(
      from,
      await pending.offer.complete(content.description.sdp),
      pending.route,
      pending.lanInstance,
    );
  }

  private offeringTo(deviceId: string): string | undefined {
    for (const [session, p] of this.pending) if (p.deviceId === deviceId) return session;
    return undefined;
  }

  private dropPending(session: string): void {
    this.pending.get(session)?.offer.cancel();
    this.pending.delete(session);
  }

  /** Seals a `p2p.*` content for the conversation and sends it along `route`. */
  private async signal(
    conversationId: string,
    partial: { type: "p2p.hello" } | Pick<P2pSdpContent, "type" | "session" | "toDevice" | "description">,
    route: Route,
  ): Promise<void> {
    const { ctx, queue } = this.deps;
    const lan = this.options?.lan;
    const content = parse(
      P2pSignalContent,
      {
        v: 1,
        id: newId(),
        sentAt: Date.now(),
        ...partial,
        ...(lan && route.kind === "lan"
          ? { rendezvousPort: lan.rendezvousPort, lanInstance: lan.instance }
          : {}),
      },
      "VOLLY_E_USAGE",
    );
    const body = await queue.run(conversationId, () =>
      sealEphemeralLocked(ctx, conversationId, content, "Direct paths"),
    );
    if (route.kind === "server") {
      await ctx.api.call("sendEphemeral", { params: { groupId: conversationId }, body });
      return;
    }
    const frame: RendezvousFrame = {
      groupId: conversationId,
      senderDeviceId: ctx.profile.deviceId,
      senderAccountId: ctx.profile.accountId,
      senderHandle: ctx.profile.handle,
      ...body,
    };
    await lan!.send(route.host, route.port, utf8(JSON.stringify(frame)));
  }

  private addLink(from: EphemeralReceived, channel: DirectChannel, route: Route, lanInstance?: string): void {
    if (this.closed) {
      channel.close();
      return;
    }
    this.links.get(from.fromDeviceId)?.channel.close();
    const link: Link = {
      peer: {
        deviceId: from.fromDeviceId,
        accountId: from.fromAccountId,
        handle: from.from,
        via: route.kind,
        since: Date.now(),
      },
      channel,
      ...(route.kind === "lan" ? { lanAddress: route.host } : {}),
      ...(route.kind === "lan" && lanInstance !== undefined ? { lanInstance } : {}),
      chain: Promise.resolve(),
    };
    this.links.set(link.peer.deviceId, link);
    channel.messages.add((text) => this.onFrame(link, text));
    channel.closed.add(() => {
      if (this.links.get(link.peer.deviceId) !== link) return;
      this.links.delete(link.peer.deviceId);
      this.changes.emit(this.peers());
    });
    this.changes.emit(this.peers());
    void this.forwardKept(link).catch(this.report("direct.forward"));
  }

  /**
   * Store and forward: hands a new path the kept frames of groups its device is a member of — this
   * device's own only while the server does not have them yet (the outbox still holds them).
   */
  private async forwardKept(link: Link): Promise<void> {
    const device = link.peer.deviceId;
    const self = this.deps.ctx.profile.deviceId;
    for (const frame of this.buffer.kept()) {
      if (frame.senderDeviceId === device || !(await this.members.has(frame.groupId, device))) continue;
      if (frame.senderDeviceId === self && !(await this.deps.outbox.isQueued(frame.messageId))) continue;
      if (this.trySend(link, JSON.stringify(frame))) this.stats.sent++;
    }
  }

  // ---- LAN

  private retag(): void {
    const lan = this.options?.lan;
    if (!lan || this.closed) return;
    this.retagging = this.retagging
      .then(async () => {
        this.tags = await lanTags(this.deps.ctx);
        if (this.closed) return;
        lan.setTags([...this.tags.keys()]);
        // a conversation just joined may be one a device already seen announces
        for (const seen of [...this.lanSeen.values()]) this.greetOnLan(lan, seen);
      })
      .catch(this.report("direct.lan-tags"));
  }

  private onLanSeen(lan: LanTransport, seen: LanPeerSeen): void {
    this.lanSeen.delete(seen.instance);
    this.lanSeen.set(seen.instance, seen);
    if (this.lanSeen.size > MAX_REMEMBERED_SIGHTINGS) {
      const oldest = this.lanSeen.keys().next().value;
      if (oldest !== undefined) this.lanSeen.delete(oldest);
    }
    this.greetOnLan(lan, seen);
  }

  /** Says hello to a LAN device that shares a conversation tag, unless a path to it is open. */
  private greetOnLan(lan: LanTransport, seen: LanPeerSeen): void {
    if (this.closed || !(lan.instance < seen.instance)) return; // the first instance name says hello
    const conversationId = seen.tags.map((t) => this.tags.get(t)).find((id) => id !== undefined);
    const host = seen.addresses[0];
    if (conversationId === undefined || host === undefined) return;
    // a path to this instance is open; one to its address under another instance is stale (it restarted)
    for (const link of this.links.values()) if (link.lanInstance === seen.instance) return;
    const last = this.lanGreeted.get(seen.instance);
    if (last !== undefined && Date.now() - last < LAN_RETRY_MS) return;
    this.lanGreeted.set(seen.instance, Date.now());
    void this.signal(conversationId, { type: "p2p.hello" }, { kind: "lan", host, port: seen.port }).catch(
      this.report("direct.lan-hello"),
    );
  }

  private async onLanFrame(frame: LanFrame): Promise<void> {
    let parsed: RendezvousFrame;
    try {
      parsed = parse(
        RendezvousFrame,
        JSON.parse(new TextDecoder().decode(frame.bytes)),
        "VOLLY_E_BAD_REQUEST",
      );
    } catch (err) {
      this.stats.dropped++;
      this.deps.ctx.diagnostics.report("direct.malformed", err);
      return;
    }
    const event: EphemeralMessageEvent = { ...parsed };
    await this.deps.ephemeral.handle(event, frame.remoteAddress).catch(this.report("direct.rendezvous"));
  }

  private report(label: string): (err: unknown) => void {
    return this.deps.ctx.diagnostics.catcher(label);
  }
}

/** A data-channel frame parsed and checked, or undefined when it is malformed or too large. */
function parseFrame(text: string): DirectFrame | undefined {
  if (text.length > P2P_LIMITS.maxFrameChars) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    return matches(DirectFrame, json) ? json : undefined;
  } catch {
    return undefined;
  }
}
