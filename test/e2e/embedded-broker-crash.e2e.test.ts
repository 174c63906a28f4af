/**
 * The embedded broker (aedes, MQTT 3.1.1: no message expiry) after bridges crash: two bridge PROCESSES
 * (`bms-bridge run`), two TCP-emulated batteries each, on a `bms-bridge broker` process, SIGKILLed one
 * after the other; what is retained is
 * read with `mosquitto_sub`, a client we did not write. docs/mqtt.md "Availability and stale values":
 * the broker clears what the dead bridge left (src/broker/crash-cleanup.ts), so after the LAST bridge
 * dies nothing the Accu-Solar app reads is retained and no availability says `online`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../src/emulator/app.js";
import { mosquittoSkipReason } from "../../src/testing/mosquitto.js";
import { mosquittoSubRetained } from "../support/mosquitto-sub.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { spawnWatched, type WatchedProcess } from "../support/watched-process.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { type Observer, observe } from "./support/observer.js";

const BRIDGES = ["pi-a", "pi-b"];
const PER_BRIDGE = 2;
const APP_TOPICS = ["voltage", "current", "soc", "power", "temperature", "cells", "status"].map(
  (leaf) => `accusolar/battery/${leaf}`,
);

// mosquitto_sub comes with Mosquitto's clients: the same requirement as the Mosquitto suites
const skip = mosquittoSkipReason();

describe.skipIf(skip !== undefined)("the embedded broker after bridges crash", () => {
  let broker: WatchedProcess;
  let port = 0;
  let emulator: RunningEmulator;
  let sub: Observer;
  const bridges = new Map<string, BridgeProcess>();

  const retained = () => mosquittoSubRetained(port, "accusolar/#");
  const latestPlain = () => {
    const last = sub.on("accusolar/battery/status").at(-1)?.payload;
    return last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
  };
  /** Everything retained that would read as live: app topics, `online` availability, the site online. */
  const live = (state: ReturnType<typeof retained>): string[] => [
    ...APP_TOPICS.filter((t) => (state.get(t)?.payload ?? "") !== ""),
    ...[...state].filter(([t, m]) => t.endsWith("/availability") && m.payload === "online").map(([t]) => t),
    ...[...state]
      .filter(([t, m]) => /\/battery\/[^/]+\/(voltage|status|cells)$/.test(t) && m.payload !== "")
      .map(([t]) => t),
    ...(state.get("accusolar/bridge/state")?.payload === "online" ? ["accusolar/bridge/state"] : []),
  ];

  beforeAll(async () => {
    broker = spawnWatched(
      process.execPath,
      ["--import", "tsx", "src/cli/bms-bridge.ts", "broker", "--port", "0", "--no-ws"],
      {
        name: "broker",
        cwd: REPO_ROOT,
      },
    );
    port = Number(/mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(await broker.waitForLine(/listening on/, 30_000))?.[1]);
    emulator = await startEmulator({
      count: BRIDGES.length * PER_BRIDGE,
      faults: [],
      serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
    });
    const ports = emulator.served.endpoints.map((e) => e[0]?.port);
    BRIDGES.forEach((bridgeId, b) => {
      const batteries = ports
        .slice(b * PER_BRIDGE, (b + 1) * PER_BRIDGE)
        .map((port) => ({ address: `tcp:127.0.0.1:${port}` }));
      bridges.set(
        bridgeId,
        startBridgeProcess({
          batteries,
          mqtt: { broker: "127.0.0.1", port: port, ha_discovery: false },
          bridge: { id: bridgeId, poll_interval: 1, jitter: 0 },
          log: { level: "info" },
        }),
      );
    });
    sub = await observe(`mqtt://127.0.0.1:${port}`);
    await sub.until("one bank of 4", () => latestPlain()?.batteries_contributing === 4, 60_000);
  }, 90_000);

  afterAll(async () => {
    for (const bridge of bridges.values()) await bridge.stop();
    await sub?.close();
    await emulator?.stop();
    await broker?.stop();
  });

  it("SIGKILL of the bank publisher, then of the last bridge: nothing left that reads as live", async () => {
    expect(latestPlain()?.bridge).toBe("pi-a");
    await bridges.get("pi-a")?.kill();
    await sub.until(
      "pi-b publishing the bank of 2",
      () => latestPlain()?.bridge === "pi-b" && latestPlain()?.batteries_contributing === 2,
      30_000,
    );
    expect(retained().get("accusolar/bridge/state")?.payload).toBe("online");

    await bridges.get("pi-b")?.kill();
    let state = retained();
    const deadline = Date.now() + 15_000;
    while (live(state).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      state = retained();
    }
    expect(live(state)).toEqual([]);
    expect(state.get("accusolar/bridge/state")?.payload).toBe("offline");
    expect(BRIDGES.map((id) => state.get(`accusolar/bridge/${id}/state`)?.payload)).toEqual([
      "offline",
      "offline",
    ]);
    // the broker's own account of what it did (one line per dead bridge)
    expect(await broker.waitForLine(/bridge pi-b \(accusolar\) died/, 5_000)).toMatch(
      /no bridge of the site is left: the site's values cleared and the site offline$/,
    );
    const availability = [...state].filter(([t]) => t.endsWith("/availability")).map(([, m]) => m.payload);
    expect(availability).toEqual(["offline", "offline", "offline", "offline"]);
  }, 90_000);
});
