/**
 * One battery's session (session-rig.ts, manual clock): the outcome of each poll as link health sees it,
 * stopping in the middle of a poll, and the work other than polls run on its client (withClient).
 */
import { describe, expect, it } from "vitest";
import type { BmsClient } from "../../../src/bridge/device/client.js";
import { BmsError } from "../../../src/errors.js";
import { healthyReply } from "../../../src/testing/index.js";
import { rig, settle } from "./session-rig.js";

describe("BatterySession poll outcomes", () => {
  it("reports each poll: its time, the error's code, cause and message, and the link's signal strength", async () => {
    const r = rig({ rssi: -61 });
    await r.poll(false);
    r.setSilent(true);
    await r.poll(false);
    const [ok, failed] = r.outcomes;
    expect(ok).toStrictEqual({
      batteryId: "1",
      time: r.readings[0]?.time,
      ok: true,
      reconnected: false,
      rssi: -61,
    });
    expect(failed).toStrictEqual({
      batteryId: "1",
      time: r.clock.now(),
      ok: false,
      reconnected: false,
      error: { code: "TIMEOUT", cause: "no_reply", message: "memory:one: no reply to 0x03 within 1000 ms" },
      rssi: -61,
    });
  });

  it("leaves out the signal strength a link does not know", async () => {
    const r = rig();
    await r.poll();
    expect(r.outcomes[0]).toStrictEqual({
      batteryId: "1",
      time: r.clock.now(),
      ok: true,
      reconnected: false,
    });
  });

  it("counts a reconnect after a link died, not after a planned rotation or a reply that did not come", async () => {
    const r = rig();
    await r.poll(false); // rotation: a planned close
    await r.poll(false);
    r.setSilent(true);
    await r.poll(); // a timeout: the kept link stays
    r.setSilent(false);
    await r.poll();
    r.bms.link?.drop(); // dies between polls
    await r.poll();
    await r.poll();
    expect(r.outcomes.map((o) => o.reconnected)).toEqual([false, false, false, false, true, false]);
    expect(r.bms.links).toHaveLength(4);
  });

  it("counts a reconnect after the link died during a rotation poll", async () => {
    const r = rig();
    r.bms.responder = (_request, bms) => {
      queueMicrotask(() => bms.link?.drop());
      return undefined;
    };
    expect(await r.poll(false)).toBe(false);
    r.bms.responder = healthyReply;
    expect(await r.poll(false)).toBe(true);
    expect(r.outcomes.map((o) => [o.ok, o.reconnected])).toEqual([
      [false, false],
      [true, true],
    ]);
  });
});

describe("BatterySession stopping", () => {
  it("cuts a read short the moment the stop signal fires: no waiting for its timeout, no outcome, no failure", async () => {
    const r = rig({ bridge: { request_timeout: 10 } });
    r.setSilent(true);
    const stop = new AbortController();
    let result: boolean | undefined;
    void r.session.poll({ keepConnected: true, signal: stop.signal }).then((ok) => {
      result = ok;
    });
    await settle();
    expect(r.bms.requests.map((q) => q.register)).toEqual([5]);
    const at = r.clock.now();
    stop.abort();
    await settle();
    expect(result).toBe(false);
    expect(r.clock.now()).toBe(at);
    expect(r.outcomes).toEqual([]);
    expect(r.session.failures).toBe(0);
    expect(r.bms.link?.isOpen).toBe(false);
  });

  it("leaves the stop signal as it found it: a later abort touches no later poll, and no listeners pile up", async () => {
    const r = rig();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const stop = new AbortController(); // Node warns on stderr at more than 10 listeners
      for (let i = 0; i < 12; i++) expect(await r.poll(true, stop.signal)).toBe(true);
      stop.abort();
      expect(await r.poll(true)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
    expect(r.bms.links).toHaveLength(1);
  });

  it("closes a link that close() overtook while it was opening", async () => {
    const r = rig();
    const release = r.holdOpens();
    const polled = r.session.poll({ keepConnected: true });
    await settle();
    const closed = r.session.close();
    release();
    await polled;
    await closed;
    expect(r.bms.links).toHaveLength(1);
    expect(r.bms.link?.isOpen).toBe(false);
    expect(r.session.isConnected).toBe(false);
  });
});

describe("BatterySession withClient", () => {
  it("runs work on the poll's kept link and hands back its result", async () => {
    const r = rig();
    await r.poll();
    const model = await r.session.withClient((client) => client.readModel(), { keepConnected: true });
    expect(model).toBe("DP04S007L4S200A");
    expect(r.bms.links).toHaveLength(1);
    expect(r.session.isConnected).toBe(true);
  });

  it("connects when needed, with the stop signal, and closes afterwards unless the link is kept", async () => {
    const r = rig();
    const stop = new AbortController();
    const read = (client: BmsClient) => client.readBasicInfo();
    await r.session.withClient(read, { keepConnected: false, signal: stop.signal });
    expect(r.opens).toStrictEqual([{ timeoutMs: 20_000, signal: stop.signal }]);
    expect(r.session.isConnected).toBe(false);
    await r.session.withClient(read, { keepConnected: true, signal: stop.signal });
    expect(r.session.isConnected).toBe(true);
    stop.abort();
    await r.session.withClient(async () => undefined, { keepConnected: true, signal: stop.signal });
    expect(r.session.isConnected).toBe(false);
  });

  it("passes the work's error on; a dead link is dropped and counted as a reconnect, other errors keep it", async () => {
    const r = rig();
    await r.poll();
    const refused = new BmsError("BMS_STATUS", "memory:one: 0xE1 refused");
    const fail = (error: BmsError) => async () => Promise.reject(error);
    await expect(r.session.withClient(fail(refused), { keepConnected: true })).rejects.toBe(refused);
    expect(r.session.isConnected).toBe(true);
    const dropped = new BmsError("DISCONNECTED", "memory:one disconnected");
    await expect(r.session.withClient(fail(dropped), { keepConnected: true })).rejects.toBe(dropped);
    expect(r.bms.links.map((link) => link.isOpen)).toEqual([false]);
    await r.poll();
    expect(r.outcomes.map((o) => o.reconnected)).toEqual([false, true]);
  });

  it("closes a link that close() overtook while it was opening", async () => {
    const r = rig();
    const release = r.holdOpens();
    const work = r.session.withClient(async () => "done", { keepConnected: true });
    await settle();
    const closed = r.session.close();
    release();
    expect(await work).toBe("done");
    await closed;
    expect(r.bms.link?.isOpen).toBe(false);
  });

  it("refuses once the session is closed, naming the battery", async () => {
    const r = rig();
    await r.session.close();
    const error = await r.session.withClient(async () => 1, { keepConnected: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "CANCELED",
      message: "Battery 1 (memory:one): stopping",
      context: { battery: "1" },
    });
    expect(r.opens).toEqual([]);
  });
});
