/**
 * Several sites → one central broker (docs/deploy.md "Several sites"): two Mosquitto processes, the site's
 * bridged to the centre with Mosquitto's own `connection` (MQTT 5, everything under `accusolar/` sent out
 * under `site1/accusolar/`), and two bridge PROCESSES at the site. At the centre: the site's bank, each
 * bridge's state and its batteries' availability as retained messages; a bridge's last will reaches the
 * centre; when the site's broker itself dies, the centre is told (the connection's notification topic)
 * and the site's values there expire within the offline bound.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../src/emulator/app.js";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { mosquittoSubRetained } from "../support/mosquitto-sub.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";

const BOUND_S = 8;
const skip = mosquittoSkipReason();

/** The site broker's side of the link (mosquitto.conf), as docs/deploy.md shows it. */
function siteToCentre(centralPort: number): string[] {
  return [
    "connection central",
    `address 127.0.0.1:${centralPort}`,
    "bridge_protocol_version mqttv50",
    "remote_clientid site1-broker",
    "cleansession true",
    "restart_timeout 1",
    "notifications true",
    "notification_topic site1/broker/state",
    "topic # out 1 accusolar/ site1/accusolar/",
  ];
}

describe.skipIf(skip !== undefined)("a site bridged to a central Mosquitto", () => {
  let central: RunningMosquitto;
  let site: RunningMosquitto;
  let emulator: RunningEmulator;
  const bridges: BridgeProcess[] = [];
  const atCentre = () => mosquittoSubRetained(central.port, "site1/#");
  const until = async (what: string, check: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const bankAtCentre = () =>
    JSON.parse(atCentre().get("site1/accusolar/battery/status")?.payload ?? "{}") as Record<string, unknown>;

  beforeAll(async () => {
    central = await startMosquitto();
    site = await startMosquitto({ extraConfig: siteToCentre(central.port) });
    emulator = await startEmulator({
      count: 4,
      faults: [],
      serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
    });
    const ports = emulator.served.endpoints.map((e) => e[0]?.port);
    for (const [i, id] of ["pi-a", "pi-b"].entries()) {
      bridges.push(
        startBridgeProcess({
          batteries: ports.slice(2 * i, 2 * i + 2).map((port) => ({ address: `tcp:127.0.0.1:${port}` })),
          mqtt: { broker: "127.0.0.1", port: site.port, ha_discovery: false, message_expiry: BOUND_S },
          bridge: { id, poll_interval: 1, jitter: 0 },
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const bridge of bridges) await bridge.stop();
    await emulator?.stop();
    await site?.dispose();
    await central?.dispose();
  });

  it("carries the site's bank, bridge states and availability to the centre, retained", async () => {
    await until("the bank of 4 at the centre", () => bankAtCentre().batteries_contributing === 4, 60_000);
    const state = atCentre();
    expect(state.get("site1/accusolar/bridge/state")?.payload).toBe("online");
    expect(state.get("site1/accusolar/bridge/pi-a/state")?.payload).toBe("online");
    expect(state.get("site1/accusolar/bridge/pi-b/state")?.payload).toBe("online");
    const online = [...state].filter(([t, m]) => t.endsWith("/availability") && m.payload === "online");
    expect(online).toHaveLength(4);
    expect(state.get("site1/broker/state")?.payload).toBe("1");
  }, 90_000);

  it("a bridge's last will reaches the centre, and the bank there counts without its batteries", async () => {
    await bridges[1]?.kill();
    await until(
      "pi-b offline and a bank of 2 at the centre",
      () =>
        atCentre().get("site1/accusolar/bridge/pi-b/state")?.payload === "offline" &&
        bankAtCentre().batteries_contributing === 2,
      BOUND_S * 1000 + 10_000,
    );
    const state = atCentre();
    const offline = [...state].filter(([t, m]) => t.endsWith("/availability") && m.payload === "offline");
    expect(offline).toHaveLength(2);
    expect(state.get("site1/accusolar/bridge/state")?.payload).toBe("online");
  }, 60_000);

  it("when the site's broker dies, the centre is told and the site's values expire there", async () => {
    await site.kill();
    await until(
      "the centre to drop the site's live values",
      () => {
        const state = atCentre();
        return !state.has("site1/accusolar/battery/status") && !state.has("site1/accusolar/bridge/state");
      },
      BOUND_S * 1000 + 15_000,
    );
    const state = atCentre();
    expect(state.get("site1/broker/state")?.payload).toBe("0");
    const online = [...state].filter(([t, m]) => t.endsWith("/availability") && m.payload === "online");
    expect(online).toEqual([]);
  }, 60_000);
});
