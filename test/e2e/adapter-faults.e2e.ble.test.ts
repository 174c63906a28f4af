/**
 * The bridge healing from its own radio (docs/robustness.md) as a user meets it, with the real
 * processes: `bms-emu --hci` on one lab controller, `bms-bridge run` on another, Mosquitto, and the
 * lab's field faults. The bridge's adapter is unplugged and replugged
 * at the same path (the battery goes offline, then online and publishing again, same process); its
 * controller freezes until reset (it is reset and reads again); the emulator's adapter is unplugged and
 * back (it advertises again and is read); and a bridge whose adapter never returns exits 1 within its
 * bound, with one line. The bridge's endpoint has the lab's radio model, so its link report carries an
 * RSSI; the link and bridge-health reports count the reconnects, losses and resets.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RADIO } from "../../scripts/vble/radio.js";
import { mosquittoSkipReason, type RunningMosquitto, startMosquitto } from "../../src/testing/mosquitto.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { labMissing, useFaultLab } from "../support/vble.js";
import { spawnWatched, type WatchedProcess } from "../support/watched-process.js";
import { type BridgeProcess, startBridgeProcess } from "./support/bridge-process.js";
import { type Observer, observe } from "./support/observer.js";

const AVAILABILITY = "accusolar/battery/1/availability";
const VOLTAGE = "accusolar/battery/voltage";

describe.skipIf(labMissing() || mosquittoSkipReason() !== undefined)(
  "bms-bridge run over BLE heals itself from its own radio",
  () => {
    const lab = useFaultLab(2, "adapter faults e2e");
    let broker: RunningMosquitto;
    let emulator: WatchedProcess;
    let bridge: BridgeProcess | undefined;
    let sub: Observer;
    let batteryAddress: string;

    const config = (extra: Record<string, unknown> = {}) => ({
      batteries: [{ id: "1", address: batteryAddress }],
      mqtt: { broker: "127.0.0.1", port: broker.port, ha_discovery: false },
      bridge: {
        hci: `uart:${lab().ptys[0]}`,
        poll_interval: 1,
        connect_timeout: 5,
        request_timeout: 1,
        request_attempts: 2,
        stale_after_polls: 2,
        offline_after_polls: 3,
        backoff_max: 2,
        jitter: 0,
        id: "faults",
        ...extra,
      },
      log: { level: "info" },
    });
    /** Voltages published after `since` (ms): proof that telemetry flows again. */
    const publishedSince = (since: number) => sub.on(VOLTAGE).filter((m) => m.at > since && m.payload !== "");
    const lastAvailability = () => sub.on(AVAILABILITY).at(-1)?.payload;

    beforeAll(async () => {
      lab().setRadio(0, { ...DEFAULT_RADIO, rssiDbm: -70 });
      broker = await startMosquitto();
      sub = await observe(`mqtt://127.0.0.1:${broker.port}`);
      emulator = spawnWatched(
        process.execPath,
        ["--import", "tsx", "src/cli/bms-emu.ts", "--hci", `uart:${lab().ptys[1]}`, "--quiet"],
        { name: "bms-emu", cwd: REPO_ROOT },
      );
      const line = await emulator.waitForLine(/serving ble .*\(([0-9A-F:]{17})\)/, 30_000);
      batteryAddress = /\(([0-9A-F:]{17})\)/.exec(line)?.[1] as string;
    }, 60_000);

    afterAll(async () => {
      await bridge?.stop();
      await emulator?.stop();
      await sub?.close();
      await broker?.dispose();
    });

    it("unplugged: offline, with the reason; replugged 25 s later: online and publishing again, same process", async () => {
      bridge = startBridgeProcess(config());
      await sub.until("the first reading", () => publishedSince(0).length > 0, 30_000);
      const pid = bridge.pid;
      await lab().unplug(0);
      await sub.until("offline", () => lastAvailability() === "offline", 30_000);
      await new Promise((resolve) => setTimeout(resolve, 25_000));
      const replugged = Date.now();
      await lab().replug(0);
      // the bar: publishing again within 60 s of the adapter's return, without a restart
      await sub.until("readings after the replug", () => publishedSince(replugged).length > 0, 60_000);
      expect(lastAvailability()).toBe("online");
      expect(bridge.running()).toBe(true);
      expect(bridge.pid).toBe(pid);
      const lines = bridge.lines();
      expect(
        lines.filter((l) =>
          /WARN Bluetooth adapter .* lost: its serial port .* is gone.*; reopening it/.test(l),
        ),
        lines.join("\n"),
      ).toHaveLength(1);
      expect(
        lines.some((l) => /offline \(no valid reading for \d+ s: adapter lost \(Bluetooth adapter/.test(l)),
      ).toBe(true);
      expect(lines.some((l) => /Bluetooth adapter .* is back after \d+ s/.test(l))).toBe(true);
    }, 150_000);

    it("frozen until reset: operations time out, the controller is reset, readings resume", async () => {
      const process = bridge as BridgeProcess;
      const frozen = Date.now();
      lab().freeze(0, { untilReset: true });
      await process.waitForLine(/operations in a row timed out .*resetting it/, 90_000);
      await sub.until(
        "readings after the reset",
        () => publishedSince(frozen + 1000).length > 0 && lab().state(0).frozen === false,
        90_000,
      );
      expect(process.running()).toBe(true);
      // the reports made since say so (published every 30 s and on every change)
      const latest = (topic: string) => JSON.parse(sub.on(topic).at(-1)?.payload ?? "{}");
      await sub.until(
        "a bridge health report with the loss and the reset",
        () =>
          latest("accusolar/bridge/faults/health").adapter_losses >= 1 &&
          latest("accusolar/bridge/faults/health").adapter_resets >= 1,
        60_000,
      );
      const reconnected = () => {
        const link = latest("accusolar/battery/1/link");
        return link.reconnects >= 1 && link.quality_pct < 100 && link.reads_failed > 0;
      };
      await sub.until("a link report with a reconnect and quality below 100 %", reconnected, 60_000);
      const link = latest("accusolar/battery/1/link");
      expect(link.rssi).toBeGreaterThanOrEqual(-74);
      expect(link.rssi).toBeLessThanOrEqual(-66);
      expect(link.last_error.cause).toMatch(
        /^(adapter_lost|no_reply|link_lost|connect_failed|not_advertising)$/,
      );
    }, 150_000);

    it("the emulator's adapter unplugged and back: bms-emu advertises again and the bridge reads it", async () => {
      await lab().unplug(1);
      await emulator.waitForLine(
        /Bluetooth adapter .* lost: .*advertising DP04S007L4S200A again when it returns/,
        30_000,
      );
      await sub.until("offline", () => lastAvailability() === "offline", 30_000);
      const back = Date.now();
      await lab().replug(1);
      await emulator.waitForLine(/is back: advertising DP04S007L4S200A again/, 60_000);
      await sub.until("readings after the emulator came back", () => publishedSince(back).length > 0, 60_000);
      expect(lastAvailability()).toBe("online");
    }, 150_000);

    it("never back: exits 1 within its bound, with one clear line", async () => {
      await bridge?.stop();
      bridge = startBridgeProcess(config({ adapter_give_up_after: 5 }));
      await sub.until("a reading", () => publishedSince(Date.now() - 2000).length > 0, 30_000);
      await lab().unplug(0);
      const gone = Date.now();
      const deadline = gone + 60_000;
      while (bridge.running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(bridge.exitCode()).toBe(1);
      const fatal = bridge.lines().filter((l) => l.startsWith("bms-bridge: "));
      expect(fatal).toHaveLength(1);
      expect(fatal[0]).toMatch(/Bluetooth adapter uart:.* has not been usable for 5 s .*giving up/);
      expect(sub.on("accusolar/bridge/state").at(-1)?.payload).toBe("offline");
      await lab().replug(0);
    }, 90_000);
  },
);
