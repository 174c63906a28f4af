/**
 * A site: four bridge PROCESSES (`bms-bridge run`), four TCP-emulated batteries each, one real Mosquitto.
 * What an Accu-Solar-like subscriber sees (docs/mqtt.md "Several bridges on one site"):
 * - one bank of 16, published by one bridge (the lowest id), steady: no flapping of the plain topics; its
 *   energy total is the sum of all 16 batteries' counters (docs/features-ha-energy-bank.md);
 * - SIGKILL of a bridge: its 4 batteries offline within the offline bound, the bank from 12 saying which
 *   are missing, the site state still online; back to 16 when it is restarted;
 * - SIGKILL of the bank publisher: another bridge takes over within the bound, and gives it back;
 * - a clean stop of every bridge leaves nothing the app reads retained and no availability `online`, and
 *   each bridge's own health report (`<prefix>/bridge/<id>/health`) saying `stopped`;
 *   a crash of every bridge the same once the offline bound has passed (MQTT 5 expiry).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../src/emulator/app.js";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { mosquittoSubRetained } from "../support/mosquitto-sub.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { type Observer, observe } from "./support/observer.js";

const BRIDGES = ["site-a", "site-b", "site-c", "site-d"];
const PER_BRIDGE = 4;
/** The offline bound (mqtt.message_expiry): short, so the crash case does not wait a minute. */
const BOUND_S = 8;
const APP_TOPICS = ["voltage", "current", "soc", "power", "temperature", "cells", "status"].map(
  (leaf) => `accusolar/battery/${leaf}`,
);

const skip = mosquittoSkipReason();

describe.skipIf(skip !== undefined)("a site of four bridges on one Mosquitto", () => {
  let broker: RunningMosquitto;
  let emulator: RunningEmulator;
  let sub: Observer;
  const bridges = new Map<string, BridgeProcess>();
  let addresses: string[][] = [];
  const energyDir = mkdtempSync(join(tmpdir(), "bms-site-energy-"));

  const start = (bridgeId: string): void => {
    const index = BRIDGES.indexOf(bridgeId);
    bridges.set(
      bridgeId,
      startBridgeProcess({
        batteries: (addresses[index] ?? []).map((address) => ({ address })),
        mqtt: { broker: "127.0.0.1", port: broker.port, ha_discovery: false, message_expiry: BOUND_S },
        bridge: {
          id: bridgeId,
          poll_interval: 1,
          jitter: 0,
          energy_state_file: join(energyDir, `${bridgeId}.json`),
        },
        log: { level: "info" },
      }),
    );
  };
  const idsOf = (bridgeId: string) =>
    (addresses[BRIDGES.indexOf(bridgeId)] ?? []).map((a) => a.replace(/[:.]/g, "-"));
  const plain = () =>
    sub
      .on("accusolar/battery/status")
      .filter((m) => m.payload !== "")
      .map((m): Record<string, unknown> & { at: number } => ({ ...JSON.parse(m.payload), at: m.at }));
  const latestPlain = () => plain().at(-1);
  const retained = () => mosquittoSubRetained(broker.port, "accusolar/#");

  beforeAll(async () => {
    broker = await startMosquitto();
    emulator = await startEmulator({
      count: BRIDGES.length * PER_BRIDGE,
      faults: [],
      serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
    });
    const ports = emulator.served.endpoints.map((e) => e[0]?.port);
    addresses = BRIDGES.map((_, b) =>
      ports.slice(b * PER_BRIDGE, (b + 1) * PER_BRIDGE).map((port) => `tcp:127.0.0.1:${port}`),
    );
    sub = await observe(broker.url);
    for (const id of BRIDGES) start(id);
    await sub.until(
      "one bank of 16",
      () => latestPlain()?.batteries_contributing === 16 && latestPlain()?.bridge === "site-a",
      60_000,
    );
  }, 90_000);

  afterAll(async () => {
    for (const bridge of bridges.values()) await bridge.stop();
    await sub?.close();
    await emulator?.stop();
    await broker?.dispose();
    rmSync(energyDir, { recursive: true, force: true });
  });

  it("shows one steady bank of 16 from one bridge: no flapping of the plain topics", async () => {
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 15_000));
    const window = plain().filter((s) => s.at >= from);
    expect(window.length).toBeGreaterThan(5);
    const seen = new Set(
      window.map((s) => `${s.bridge} ${s.batteries_contributing} ${s.batteries_configured}`),
    );
    expect([...seen]).toEqual(["site-a 16 16"]);
    // each plain `cells` is one pack's (4 cells), never the 64 cells of the bank
    const cells = sub.on("accusolar/battery/cells").filter((m) => m.at >= from && m.payload !== "");
    expect(new Set(cells.map((m) => (JSON.parse(m.payload) as number[]).length))).toEqual(new Set([4]));
    const ids = ((window.at(-1)?.batteries ?? []) as string[]).toSorted();
    expect(ids).toEqual(BRIDGES.flatMap(idsOf).toSorted());
    const state = retained();
    expect(state.get("accusolar/bridge/state")?.payload).toBe("online");
    // the bank energy total is the site's, never one bridge's partial sum: it only grows, and it is the sum
    // of the 16 batteries' counters (read a moment before them, and rounded once instead of 16 times)
    const totals = sub
      .on("accusolar/bank/energy/charged_ah")
      .filter((m) => m.at >= from)
      .map((m) => Number(m.payload));
    expect(totals.length).toBeGreaterThan(5);
    expect(totals.filter((v, i) => i > 0 && v < (totals[i - 1] as number))).toEqual([]);
    const counter = (topic: string) => Number(state.get(topic)?.payload);
    const sum = BRIDGES.flatMap(idsOf).reduce(
      (total, id) => total + counter(`accusolar/battery/${id}/energy/charged_ah`),
      0,
    );
    const bank = counter("accusolar/bank/energy/charged_ah");
    expect(bank).toBeGreaterThan(0.9 * sum);
    expect(bank).toBeLessThanOrEqual(sum + 16 * 0.0005);
  }, 60_000);

  it("SIGKILL of a bridge: its batteries go offline within the bound, the bank counts 12 and says so", async () => {
    await bridges.get("site-c")?.kill();
    const gone = idsOf("site-c");
    await sub.until(
      "the bank from 12",
      () => latestPlain()?.batteries_contributing === 12,
      BOUND_S * 1000 + 10_000,
    );
    const state = retained();
    for (const id of gone) {
      expect(state.get(`accusolar/battery/${id}/availability`)?.payload).toBe("offline");
      expect(state.has(`accusolar/battery/${id}/status`)).toBe(false);
    }
    expect(((latestPlain()?.batteries_offline ?? []) as string[]).toSorted()).toEqual(gone.toSorted());
    expect(latestPlain()?.bridge).toBe("site-a");
    expect(state.get("accusolar/bridge/state")?.payload).toBe("online");
    expect(state.get("accusolar/bridge/site-c/state")?.payload).toBe("offline");

    start("site-c");
    await sub.until("16 again", () => latestPlain()?.batteries_contributing === 16, 60_000);
    expect(latestPlain()?.batteries_offline).toBeUndefined();
  }, 90_000);

  it("SIGKILL of the bank publisher: the next bridge takes over within the bound, and gives it back", async () => {
    await bridges.get("site-a")?.kill();
    await sub.until(
      "site-b publishing the bank of 12",
      () => latestPlain()?.bridge === "site-b" && latestPlain()?.batteries_contributing === 12,
      BOUND_S * 1000 + 10_000,
    );
    expect(retained().get("accusolar/bridge/state")?.payload).toBe("online");
    start("site-a");
    await sub.until(
      "site-a publishing the bank of 16",
      () => latestPlain()?.bridge === "site-a" && latestPlain()?.batteries_contributing === 16,
      60_000,
    );
  }, 90_000);

  it("a clean stop of every bridge leaves nothing the app reads and no battery online", async () => {
    for (const id of BRIDGES) await bridges.get(id)?.stop();
    const state = retained();
    expect(APP_TOPICS.filter((t) => state.has(t))).toEqual([]);
    const telemetry = [...state.keys()].filter((t) =>
      /^accusolar\/(battery|bank)\/.*(status|voltage|cells)$/.test(t),
    );
    expect(telemetry).toEqual([]);
    const online = [...state].filter(([t, m]) => t.endsWith("/availability") && m.payload === "online");
    expect(online).toEqual([]);
    const linkOnline = [...state].filter(
      ([t, m]) =>
        t.endsWith("/link") && (JSON.parse(m.payload) as { availability?: string }).availability === "online",
    );
    expect(linkOnline).toEqual([]);
    expect(state.get("accusolar/bridge/state")?.payload).toBe("offline");
    expect(BRIDGES.map((id) => state.get(`accusolar/bridge/${id}/state`)?.payload)).toEqual(
      BRIDGES.map(() => "offline"),
    );
    const health = (id: string) => JSON.parse(state.get(`accusolar/bridge/${id}/health`)?.payload ?? "{}");
    expect(BRIDGES.map((id) => health(id).state)).toEqual(BRIDGES.map(() => "stopped"));
  }, 60_000);

  it("a crash of every bridge leaves nothing live once the offline bound has passed", async () => {
    for (const id of BRIDGES) start(id);
    await sub.until("one bank of 16", () => latestPlain()?.batteries_contributing === 16, 60_000);
    for (const id of BRIDGES) await bridges.get(id)?.kill();
    const killedAt = Date.now();
    let state = retained();
    const live = () => [
      ...APP_TOPICS.filter((t) => state.has(t)),
      ...[...state].filter(([t, m]) => t.endsWith("/availability") && m.payload === "online").map(([t]) => t),
      ...(state.get("accusolar/bridge/state")?.payload === "online" ? ["accusolar/bridge/state"] : []),
    ];
    while (live().length > 0 && Date.now() - killedAt < BOUND_S * 1000 + 10_000) {
      await new Promise((r) => setTimeout(r, 500));
      state = retained();
    }
    expect(live()).toEqual([]);
    expect(BRIDGES.map((id) => state.get(`accusolar/bridge/${id}/state`)?.payload)).toEqual(
      BRIDGES.map(() => "offline"),
    );
  }, 90_000);
});
