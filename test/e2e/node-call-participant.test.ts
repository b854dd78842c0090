import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { joinCall, type NodeCall, OpusCodec, pcmRms, sineTone } from "@volly/bot/calls";
import type { ReceivedCallSignal, VollyClient } from "@volly/client";
import type { SFrameMlsEpoch } from "@volly/crypto";
import { newId } from "@volly/protocol";
import type { Browser, Page } from "playwright-core";
import { rolldown } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removableTempDir } from "../helpers/temp-dir.js";
import { waitFor } from "../helpers/wait-for.js";
import { newClient } from "../integration/helpers/sdk.js";
import { type ServerProcess, startServerProcess } from "../integration/helpers/server-process.js";
import { browserTestsEnabled, FAKE_MEDIA_ARGS, launchChromium } from "./helpers/chromium.js";

/**
 * A Node call participant (`joinCall` of @volly/bot/calls: werift + SFrame) in a 1:1 call with a
 * browser (Chromium with its fake microphone): the page runs RTCPeerConnection with an
 * RTCRtpScriptTransform whose worker seals and opens every encoded audio frame with the SFrame
 * modules of @volly/crypto; its signaling and keys come from an SDK client in this process
 * (the page relays through exposed functions), against a real `volly serve`.
 */

const CRYPTO_DIST = resolve(import.meta.dirname, "../../packages/crypto/dist/sframe");
const ORIGIN = "http://127.0.0.1:9"; // answered by page.route: no server; a secure context

/** The encoded-transform worker: seals ("send") or opens ("receive") each frame; counts both. */
const WORKER_ENTRY = `
import { MlsSFrameContext } from ${JSON.stringify(join(CRYPTO_DIST, "mls-context.js"))};
const ctx = new MlsSFrameContext();
const counts = { sealed: 0, opened: 0, failed: 0 };
self.onmessage = async (event) => {
  if (event.data.epoch) {
    await ctx.setEpoch(event.data.epoch);
    self.postMessage({ keyed: true });
  } else if (event.data.counts) self.postMessage({ counts });
};
self.onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  const seal = options.side === "send";
  readable.pipeThrough(new TransformStream({
    async transform(frame, controller) {
      try {
        const data = new Uint8Array(frame.data);
        const out = seal ? await ctx.encrypt(data) : (await ctx.decrypt(data)).plaintext;
        frame.data = out.slice().buffer;
        counts[seal ? "sealed" : "opened"] += 1;
        controller.enqueue(frame);
      } catch {
        counts.failed += 1; // dropped: never reaches the decoder
      }
    },
  })).pipeTo(writable);
};
`;

/** The page's side of a call: one RTCPeerConnection, signals in and out through the test. */
const PAGE_HTML = `<!doctype html><title>call</title><audio id="out" autoplay></audio><script>
let pc, worker, peer, callId;
const pending = [];
window.startCall = async ({ id, peerDevice, epoch, iceServers, offer }) => {
  callId = id; peer = peerDevice;
  worker = new Worker("/worker.js", { type: "module" });
  await new Promise((ok) => { worker.onmessage = (e) => e.data.keyed && ok(); worker.postMessage({ epoch: { ...epoch, baseKey: new Uint8Array(epoch.baseKey) } }); });
  pc = new RTCPeerConnection({ iceServers });
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  pc.onicecandidate = (e) => window.sendSignal({ type: "call.ice", callId, toDevice: peer, candidate: e.candidate ? e.candidate.toJSON() : null });
  pc.ontrack = (e) => {
    document.getElementById("out").srcObject = e.streams[0] ?? new MediaStream([e.track]);
  };
  const sender = pc.addTrack(stream.getAudioTracks()[0], stream);
  sender.transform = new RTCRtpScriptTransform(worker, { side: "send" });
  // The receiver's transform is set before negotiation: set in ontrack, Chromium 156 handed every
  // received frame to the decoder untransformed (the ciphertext played as noise).
  const receiver = pc.getTransceivers()[0].receiver;
  receiver.transform = new RTCRtpScriptTransform(worker, { side: "receive" });
  if (offer) {
    await pc.setLocalDescription();
    await window.sendSignal({ type: "call.sdp", callId, toDevice: peer, description: { type: "offer", sdp: pc.localDescription.sdp } });
  }
};
window.onSignal = async (signal) => {
  if (signal.type === "call.sdp") {
    await pc.setRemoteDescription(signal.description);
    for (const c of pending.splice(0)) await pc.addIceCandidate(c);
    if (signal.description.type === "offer") {
      await pc.setLocalDescription();
      await window.sendSignal({ type: "call.sdp", callId, toDevice: peer, description: { type: "answer", sdp: pc.localDescription.sdp } });
    }
  } else if (signal.type === "call.ice" && signal.candidate) {
    if (pc.remoteDescription) await pc.addIceCandidate(signal.candidate).catch(() => {});
    else pending.push(signal.candidate);
  }
};
window.callState = async () => {
  const counts = await new Promise((ok) => { worker.onmessage = (e) => e.data.counts && ok(e.data.counts); worker.postMessage({ counts: true }); });
  let energy = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") energy = s.totalAudioEnergy ?? 0; });
  return { state: pc.connectionState, counts, energy };
};
window.endCall = () => pc?.close();
</script>`;

/** Plain data of an epoch for page.evaluate (the base key as numbers). */
function epochForPage(epoch: SFrameMlsEpoch): Omit<SFrameMlsEpoch, "baseKey"> & { baseKey: number[] } {
  return { ...epoch, baseKey: [...epoch.baseKey], senderIndices: [...epoch.senderIndices] };
}

interface PageCallState {
  state: string;
  counts: { sealed: number; opened: number; failed: number };
  energy: number;
}

describe.runIf(browserTestsEnabled())(
  "a Node call participant and a browser exchange encrypted audio",
  () => {
    let server: ServerProcess;
    let browser: Browser;
    let workerJs: string;
    let alice: VollyClient; // the browser's SDK (signaling and keys), in this process
    let agent: VollyClient; // the Node participant
    let conv: string;
    const temp = removableTempDir("volly-node-call-");
    /** Pages by call id: alice's sdp/ice signals go to the page of their call. */
    const pages = new Map<string, Page>();
    const aliceSignals: ReceivedCallSignal[] = [];
    const agentSignals: ReceivedCallSignal[] = [];

    beforeAll(async () => {
      const entry = join(temp.dir, "worker-entry.js");
      writeFileSync(entry, WORKER_ENTRY);
      const bundle = await rolldown({ input: entry, platform: "browser" });
      workerJs = (await bundle.generate({ format: "esm" })).output[0].code;
      await bundle.close();
      server = await startServerProcess();
      browser = await launchChromium([...FAKE_MEDIA_ARGS, "--autoplay-policy=no-user-gesture-required"]);
      alice = await newClient(temp.dir, server.url, "alice");
      agent = await newClient(temp.dir, server.url, "agent");
      await Promise.all([alice.connect(), agent.connect()]);
      conv = (await alice.resolveConversation("@agent")).id;
      const hello = await alice.messaging.send(conv, "join my call");
      await waitFor(async () => (await agent.messaging.history(conv, 10)).some((m) => m.id === hello.id));
      alice.calls.signaling.signals.add((received) => {
        aliceSignals.push(received);
        const page = pages.get(received.signal.callId);
        if (page && (received.signal.type === "call.sdp" || received.signal.type === "call.ice")) {
          void page.evaluate((signal) => (window as unknown as PageApi).onSignal(signal), received.signal);
        }
      });
      agent.calls.signaling.signals.add((received) => agentSignals.push(received));
    }, 60_000);

    afterAll(async () => {
      await Promise.all([alice, agent].map((c) => c?.close().catch(() => undefined)));
      await browser?.close();
      if (server?.child.exitCode === null) await server.stop();
      temp.remove();
    });

    /** A page ready to take part in call `callId` (signals relayed through alice). */
    async function openCallPage(callId: string): Promise<Page> {
      const page = await browser.newPage();
      await page.route(`${ORIGIN}/**`, (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path === "/worker.js") return route.fulfill({ contentType: "text/javascript", body: workerJs });
        return route.fulfill({ contentType: "text/html", body: PAGE_HTML });
      });
      await page.exposeFunction(
        "sendSignal",
        async (signal: Parameters<VollyClient["calls"]["signaling"]["send"]>[1]) => {
          await alice.calls.signaling.send(conv, signal);
        },
      );
      await page.goto(`${ORIGIN}/`);
      pages.set(callId, page);
      return page;
    }

    function pageState(page: Page): Promise<PageCallState> {
      return page.evaluate(() => (window as unknown as PageApi).callState());
    }

    /** Sends the agent's tone every 20 ms until stopped. */
    function sendTone(call: NodeCall, codec: OpusCodec): () => void {
      const tone = sineTone(440);
      const timer = setInterval(
        () => void call.sendOpus(codec.encode(tone.next().value)).catch(() => undefined),
        20,
      );
      return () => clearInterval(timer);
    }

    it("the browser's frames open and decode to sound in Node, the Node tone plays in the browser", async () => {
      const codec = new OpusCodec();
      const loudest: number[] = [];
      const callId = newId();
      const page = await openCallPage(callId);
      // alice rings from this process; the agent answers the ring.
      await alice.calls.signaling.send(conv, { type: "call.ring", callId, media: "audio" });
      await waitFor(() =>
        agentSignals.some((s) => s.signal.type === "call.ring" && s.signal.callId === callId),
      );
      const ring = agentSignals.find((s) => s.signal.type === "call.ring" && s.signal.callId === callId)!;
      const joining = joinCall(agent, conv, {
        ring,
        onOpusFrame: (frame) => loudest.push(pcmRms(codec.decode(frame))),
      });
      await waitFor(() =>
        aliceSignals.some((s) => s.signal.type === "call.accept" && s.signal.callId === callId),
      );
      const accept = aliceSignals.find((s) => s.signal.type === "call.accept" && s.signal.callId === callId)!;
      const epoch = await alice.calls.mediaKeys(conv, callId);
      await page.evaluate((args) => (window as unknown as PageApi).startCall(args), {
        id: callId,
        peerDevice: accept.fromDeviceId,
        epoch: epochForPage(epoch),
        iceServers: await alice.calls.iceServers(),
        offer: true,
      });
      const call = await joining;
      const stopTone = sendTone(call, codec);
      try {
        // Browser → Node: the fake microphone's beeps, sealed in the worker, open and decode here.
        await waitFor(() => call.counts.decrypted >= 50 && Math.max(...loudest) > 500, {
          timeoutMs: 30_000,
          message: "the browser's audio to open and decode in Node",
        });
        expect(call.counts.failed).toBe(0);
        // Node → browser: the tone opens in the worker and plays (inbound-rtp audio energy).
        await waitFor(
          async () => {
            const state = await pageState(page);
            return state.counts.opened >= 50 && state.energy > 0;
          },
          { timeoutMs: 30_000, message: "the Node tone to open and play in the browser" },
        );
        const state = await pageState(page);
        expect(state.counts.failed).toBe(0);
        expect(state.counts.sealed).toBeGreaterThan(0);
      } finally {
        stopTone();
        await call.hangUp();
        await page.close();
        codec.close();
      }
    }, 90_000);

    it("a Node participant with another call's keys opens none of the browser's frames", async () => {
      const codec = new OpusCodec();
      const opened: Uint8Array[] = [];
      // The agent rings this time (it sends the offer), holding the keys of some other call.
      const joining = joinCall(agent, conv, {
        mediaKeys: (conversationId) => agent.calls.mediaKeys(conversationId, newId()),
        onOpusFrame: (frame) => opened.push(frame),
      });
      await waitFor(() =>
        aliceSignals.some((s) => s.signal.type === "call.ring" && !pages.has(s.signal.callId)),
      );
      const ring = aliceSignals.find((s) => s.signal.type === "call.ring" && !pages.has(s.signal.callId))!;
      const callId = ring.signal.callId;
      const page = await openCallPage(callId);
      const epoch = await alice.calls.mediaKeys(conv, callId);
      await page.evaluate((args) => (window as unknown as PageApi).startCall(args), {
        id: callId,
        peerDevice: ring.fromDeviceId,
        epoch: epochForPage(epoch),
        iceServers: await alice.calls.iceServers(),
        offer: false,
      });
      await alice.calls.signaling.send(conv, { type: "call.accept", callId });
      const call = await joining;
      const stopTone = sendTone(call, codec);
      try {
        await waitFor(() => call.counts.failed >= 50, {
          timeoutMs: 30_000,
          message: "the browser's frames to reach the Node participant",
        });
        expect(call.counts.decrypted).toBe(0);
        expect(opened).toHaveLength(0);
        expect(call.counts.failedByCause.authentication).toBe(call.counts.failed);
        // And the browser opens none of what that participant sealed.
        await waitFor(async () => (await pageState(page)).counts.failed >= 50, { timeoutMs: 30_000 });
        expect((await pageState(page)).counts.opened).toBe(0);
      } finally {
        stopTone();
        await call.hangUp();
        await page.close();
        codec.close();
      }
    }, 90_000);
  },
);

/** What PAGE_HTML puts on `window`. */
interface PageApi {
  startCall(args: {
    id: string;
    peerDevice: string;
    epoch: ReturnType<typeof epochForPage>;
    iceServers: unknown[];
    offer: boolean;
  }): Promise<void>;
  onSignal(signal: unknown): Promise<void>;
  callState(): Promise<PageCallState>;
  endCall(): void;
}
