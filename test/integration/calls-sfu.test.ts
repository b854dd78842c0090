import { randomBytes } from "node:crypto";
import { JanusClient, VideoRoom } from "@volly/server";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { janusAvailable, lastLogLine, processAlive } from "./helpers/janus.js";
import { startServerProcess } from "./helpers/server-process.js";

/** The VideoRoom admin key room creation needs (voice channels keep token holders from making rooms). */
const ADMIN_KEY = "calls-sfu-admin-key";

/** Starts `volly serve` with a managed Janus; resolves with the server and Janus's URL and pid. */
async function serveWithJanus() {
  const apiSecret = randomBytes(16).toString("hex");
  const server = await startServerProcess(undefined, 0, {
    VOLLY_SFU: "managed",
    VOLLY_SFU_API_SECRET: apiSecret,
    VOLLY_SFU_ADMIN_KEY: ADMIN_KEY,
  });
  const ready = lastLogLine(server.output(), "sfu ready");
  expect(ready, server.output()).toMatchObject({ url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/) });
  return { server, apiSecret, url: String(ready?.url), pid: Number(ready?.pid) };
}

describe.runIf(janusAvailable())("volly serve with a managed Janus (VOLLY_SFU=managed)", () => {
  it("runs Janus with only VideoRoom and WebSockets; rooms are created, listed and destroyed through the typed client; Janus stops with serve", async () => {
    const { server, apiSecret, url, pid } = await serveWithJanus();
    expect(processAlive(pid)).toBe(true);
    const client = await JanusClient.connect(url, { apiSecret });
    try {
      const info = await client.info();
      expect(Object.keys(info.plugins)).toEqual(["janus.plugin.videoroom"]);
      expect(Object.keys(info.transports)).toEqual(["janus.transport.websockets"]);

      const outsider = await JanusClient.connect(url, { apiSecret: "not-the-secret" });
      await expect(outsider.createSession()).rejects.toMatchObject({
        code: "VOLLY_E_SFU_REFUSED",
        details: { sfuCode: 403 },
      });
      outsider.close();

      const session = await client.createSession();
      const rooms = await VideoRoom.attach(session);
      const secret = randomBytes(16).toString("hex");
      const room = await rooms.createRoom({ adminKey: ADMIN_KEY, secret, description: "channel-voice-1" });
      expect(await rooms.exists(room)).toBe(true);
      expect(await rooms.listRooms()).toContainEqual(
        expect.objectContaining({
          room,
          description: "channel-voice-1",
          num_participants: 0,
          require_e2ee: true,
        }),
      );
      expect(await rooms.listParticipants(room)).toEqual([]);
      await expect(rooms.destroyRoom(room, "wrong-secret")).rejects.toMatchObject({
        code: "VOLLY_E_SFU_REFUSED",
        details: { sfuCode: 433 },
      });
      await rooms.destroyRoom(room, secret);
      expect(await rooms.exists(room)).toBe(false);
      await expect(rooms.listParticipants(room)).rejects.toMatchObject({
        code: "VOLLY_E_SFU_REFUSED",
        details: { sfuCode: 426 },
      });
      await session.destroy();
    } finally {
      client.close();
    }
    expect(await server.stop()).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expect(server.output()).not.toContain(apiSecret);
  }, 60_000);

  it("restarts Janus when it dies, and takes it down when serve is killed (kill -9)", async () => {
    const { server, apiSecret, url, pid } = await serveWithJanus();
    try {
      process.kill(pid, "SIGKILL");
      await waitFor(() => lastLogLine(server.output(), "sfu ready (restarted)") !== undefined, {
        message: "Janus to be restarted",
      });
      expect(lastLogLine(server.output(), "sfu exited; restarting")).toMatchObject({ signal: "SIGKILL" });
      const restarted = Number(lastLogLine(server.output(), "sfu ready (restarted)")?.pid);
      expect(restarted).not.toBe(pid);
      const client = await JanusClient.connect(url, { apiSecret });
      expect(Object.keys((await client.info()).plugins)).toEqual(["janus.plugin.videoroom"]);
      client.close();

      await server.kill9();
      await waitFor(() => !processAlive(restarted), { message: "Janus to stop after serve was killed" });
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe.runIf(janusAvailable())("volly serve with an external Janus (VOLLY_SFU=external)", () => {
  it("checks the Janus it points at once at start; an unreachable one is logged, not fatal", async () => {
    const { server: managed, apiSecret, url } = await serveWithJanus();
    try {
      const [external, unreachable] = await Promise.all([
        startServerProcess(undefined, 0, {
          VOLLY_SFU: "external",
          VOLLY_SFU_URL: url,
          VOLLY_SFU_API_SECRET: apiSecret,
        }),
        startServerProcess(undefined, 0, { VOLLY_SFU: "external", VOLLY_SFU_URL: "ws://127.0.0.1:9" }),
      ]);
      try {
        expect(lastLogLine(external.output(), "sfu reachable")).toMatchObject({ url });
        expect(lastLogLine(unreachable.output(), "sfu not reachable yet")).toMatchObject({
          url: "ws://127.0.0.1:9",
        });
        expect((await fetch(`${unreachable.url}/healthz`)).status).toBe(200);
      } finally {
        await Promise.all([external.stop(), unreachable.stop()]);
      }
    } finally {
      await managed.stop();
    }
  }, 60_000);
});
