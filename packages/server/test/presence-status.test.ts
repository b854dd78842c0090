import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PRESENCE_CHANNEL } from "../src/bus/bus.js";
import { expectCode } from "./helpers/expect-code.js";
import { registerDevice, type ServiceFixture, serviceFixture, type TestDevice } from "./helpers/services.js";
import { forEachBackend } from "./helpers/store-backends.js";

forEachBackend((backend) => {
  describe(`account status: stored per account, expiry computed on read (${backend.name})`, () => {
    let f: ServiceFixture;
    let bob: TestDevice;
    beforeEach(async () => {
      f = await serviceFixture(backend);
      bob = await registerDevice(f.services, "bob");
    });
    afterEach(() => f.close());

    const auth = (d: TestDevice) => ({
      accountId: d.accountId,
      deviceId: d.deviceId,
      handle: d.handle,
      entityType: d.entityType,
    });

    it("serves online with no text for an account that never chose a status", async () => {
      expect(await f.services.presence.getStatus(bob.accountId)).toEqual({ status: "online", setAt: 0 });
    });

    it("stores the chosen status and custom text, and announces it on the presence channel", async () => {
      const until = f.clock.now() + 60_000;
      const set = await f.services.presence.setStatus(auth(bob), { status: "dnd", text: "focusing", until });
      expect(set).toEqual({ status: "dnd", text: "focusing", until, setAt: f.clock.now() });
      expect(await f.services.presence.getStatus(bob.accountId)).toEqual(set);
      const announced = f.published.filter((p) => p.channel === PRESENCE_CHANNEL).map((p) => p.message);
      expect(announced).toEqual([
        {
          type: "presence-status",
          accountId: bob.accountId,
          handle: bob.handle,
          chosen: { status: "dnd", text: "focusing", until, setAt: set.setAt },
        },
      ]);
    });

    it("stops serving a custom text once its expiry has passed, keeping the status", async () => {
      const until = f.clock.now() + 30 * 60_000;
      await f.services.presence.setStatus(auth(bob), { status: "idle", text: "lunch", until });
      f.clock.advance(30 * 60_000 - 1);
      expect(await f.services.presence.getStatus(bob.accountId)).toMatchObject({ text: "lunch", until });
      f.clock.advance(1);
      const after = await f.services.presence.getStatus(bob.accountId);
      expect(after).toMatchObject({ status: "idle" });
      expect(after.text).toBeUndefined();
      expect(after.until).toBeUndefined();
    });

    it("rejects an expiry without text or not in the future, and changes nothing", async () => {
      await f.services.presence.setStatus(auth(bob), { status: "dnd" });
      const now = f.clock.now();
      await expectCode(
        f.services.presence.setStatus(auth(bob), { status: "online", until: now + 1000 }),
        "VOLLY_E_BAD_REQUEST",
      );
      await expectCode(
        f.services.presence.setStatus(auth(bob), { status: "online", text: "x", until: now }),
        "VOLLY_E_BAD_REQUEST",
      );
      expect(await f.services.presence.getStatus(bob.accountId)).toMatchObject({ status: "dnd" });
    });

    it("applies to the whole account: the latest write from any device wins, also within one millisecond", async () => {
      await f.services.presence.setStatus(auth(bob), { status: "invisible" });
      const second = await f.services.presence.setStatus(
        { ...auth(bob), deviceId: "other-device" },
        { status: "dnd" },
      );
      expect(second.status).toBe("dnd");
      expect(await f.services.presence.getStatus(bob.accountId)).toMatchObject({ status: "dnd" });
    });

    it("keeps an older write from overwriting a newer one in the store (last writer wins by setAt)", async () => {
      await f.store.accountStatuses.put({ accountId: bob.accountId, status: "dnd", setAt: 2_000 });
      const kept = await f.store.accountStatuses.put({
        accountId: bob.accountId,
        status: "online",
        setAt: 1_000,
      });
      expect(kept).toMatchObject({ status: "dnd", setAt: 2_000 });
    });

    it("survives a restart: the status is read back from the database", async () => {
      const until = f.clock.now() + 60_000;
      await f.services.presence.setStatus(auth(bob), { status: "invisible", text: "away from keys", until });
      const reopened = await f.reopen();
      expect(await reopened.accountStatuses.get(bob.accountId)).toEqual({
        accountId: bob.accountId,
        status: "invisible",
        text: "away from keys",
        until,
        setAt: f.clock.now(),
      });
    });
  });
});
