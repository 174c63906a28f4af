/**
 * Capture → replay round trip: a bridge with --capture against emulated batteries writes a JSON-lines
 * capture; bms-emu's replay (startEmulator with `replay`) serves it back over TCP; a second bridge reads the
 * same values, and the bytes it receives equal the captured bytes, chunk for chunk.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type RunningBridge, startBridge } from "../../../src/bridge/bridge.js";
import type { BatteryReading } from "../../../src/bridge/types.js";
import { loadConfig } from "../../../src/config/load.js";
import { startEmulator } from "../../../src/emulator/app.js";
import { createMemoryLogger } from "../../../src/log/logger.js";
import { createEmulatedBattery, FakeMqtt, linkToBattery } from "../../../src/testing/index.js";
import { CAPTURE_TYPE, parseCaptureLines } from "../../../src/transport/capture/format.js";
import { systemClock } from "../../../src/util/clock.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "bms-capture-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface RunOptions {
  addresses: string[];
  capture: string;
  memory?: Map<string, () => ReturnType<typeof linkToBattery>>;
  readingsPerBattery: number;
}

/** Runs a bridge until every battery gave `readingsPerBattery` readings, then stops it (capture flushed). */
async function runBridge(options: RunOptions) {
  const logger = createMemoryLogger("info");
  const config = loadConfig({
    file: {
      path: "t.json",
      text: JSON.stringify({
        batteries: options.addresses.map((address, i) => ({ address, id: `b${i + 1}` })),
        bridge: { poll_interval: 0.5, jitter: 0, capture_file: options.capture },
      }),
    },
    randomHex: () => "00",
  });
  const readings: BatteryReading[] = [];
  const bridge: RunningBridge = await startBridge({
    config,
    logger,
    clock: systemClock,
    mqtt: new FakeMqtt(),
    version: "9.9.9-test",
    ...(options.memory !== undefined && { memory: options.memory }),
  });
  bridge.bus.on("reading", (r) => readings.push(r));
  const enough = () =>
    config.batteries.every(
      (b) => readings.filter((r) => r.batteryId === b.id).length >= options.readingsPerBattery,
    );
  await vi.waitFor(() => expect(enough()).toBe(true), { timeout: 15_000, interval: 20 });
  await bridge.stop();
  return { readings, logger };
}

const valuesOf = (readings: BatteryReading[], id: string) =>
  readings.filter((r) => r.batteryId === id).map((r) => ({ basic: r.basic, cells: r.cells, model: r.model }));

const rxHex = (text: string, address?: string) =>
  (parseCaptureLines(text)?.chunks ?? [])
    .filter((c) => c.dir === "rx" && (!address || c.address === address))
    .map((c) => c.hex);

describe("capture → replay", () => {
  it("records a header, every request and every notification-sized response chunk", async () => {
    const dir = await tempDir();
    const battery = createEmulatedBattery({ speed: 0 });
    const capture = join(dir, "one.jsonl");
    await runBridge({
      addresses: ["memory:one"],
      capture,
      memory: new Map([["one", () => linkToBattery(battery)]]),
      readingsPerBattery: 2,
    });
    const text = await readFile(capture, "utf8");
    const header = JSON.parse(text.split("\n")[0] ?? "");
    expect(header).toMatchObject({
      type: CAPTURE_TYPE,
      version: 1,
      bridge_version: "9.9.9-test",
      batteries: [{ id: "b1", address: "memory:one" }],
    });
    expect(Number.isNaN(Date.parse(header.started_at))).toBe(false);
    const parsed = parseCaptureLines(text);
    const tx = parsed?.chunks.filter((c) => c.dir === "tx").map((c) => c.hex) ?? [];
    // what the bridge sent, as the emulator recorded it, in order
    expect(tx).toEqual(
      battery.requests.map((r) =>
        [...r.bytes].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(" "),
      ),
    );
    expect(tx.slice(0, 3)).toEqual(["DD A5 05 00 FF FB 77", "DD A5 03 00 FF FD 77", "DD A5 04 00 FF FC 77"]);
    const rx = parsed?.chunks.filter((c) => c.dir === "rx") ?? [];
    // the emulator sends 20-byte notifications (DP04S, docs/protocol.md §9): the boundaries are kept
    expect(rx.every((c) => c.bytes.length <= 20)).toBe(true);
    expect(rx.some((c) => c.bytes.length === 20)).toBe(true);
    const times = parsed?.chunks.map((c) => c.t) ?? [];
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(parsed?.skippedLines).toEqual([]);
  });

  it("a replay of a two-battery capture gives the same readings and the same bytes, chunk for chunk", async () => {
    const dir = await tempDir();
    // two batteries with different values, so a mix-up of addresses would show
    const first = createEmulatedBattery({ speed: 0, address: "A5:C2:37:00:00:01" });
    const second = createEmulatedBattery({
      speed: 0,
      address: "A5:C2:37:00:00:02",
      profile: { initial: { remainingAh: 120 } } as never,
    });
    const original = join(dir, "original.jsonl");
    const recorded = await runBridge({
      addresses: ["memory:first", "memory:second"],
      capture: original,
      memory: new Map([
        ["first", () => linkToBattery(first)],
        ["second", () => linkToBattery(second)],
      ]),
      readingsPerBattery: 3,
    });
    expect(valuesOf(recorded.readings, "b1")[0]?.basic.socPct).not.toBe(
      valuesOf(recorded.readings, "b2")[0]?.basic.socPct,
    );

    const emulator = await startEmulator({
      count: 1,
      faults: [],
      replay: original,
      speed: 4,
      serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
    });
    cleanups.push(() => emulator.stop());
    expect(emulator.batteries).toHaveLength(2);
    // in process: the emulator's chunks reach the bridge one by one, as BLE notifications would
    const replayedCapture = join(dir, "replayed.jsonl");
    const replayed = await runBridge({
      addresses: ["memory:r1", "memory:r2"],
      capture: replayedCapture,
      memory: new Map(emulator.batteries.map((b, i) => [`r${i + 1}`, () => linkToBattery(b)] as const)),
      readingsPerBattery: 3,
    });
    for (const id of ["b1", "b2"]) {
      expect(valuesOf(replayed.readings, id).slice(0, 3)).toEqual(
        valuesOf(recorded.readings, id).slice(0, 3),
      );
    }
    const before = await readFile(original, "utf8");
    const after = await readFile(replayedCapture, "utf8");
    const rxBefore = [rxHex(before, first.address), rxHex(before, second.address)];
    const rxAfter = emulator.batteries.map((b) => rxHex(after, b.address));
    for (const [i, chunks] of rxAfter.entries()) {
      const n = Math.min(chunks.length, rxBefore[i]?.length ?? 0);
      expect(n).toBeGreaterThan(6);
      expect(chunks.slice(0, n)).toEqual(rxBefore[i]?.slice(0, n));
    }

    // over TCP (what `bms-emu --replay FILE --tcp …` serves): TCP may merge chunks, the byte stream is the same
    const ports = emulator.served.endpoints.map((e) => e[0]?.port);
    const overTcp = join(dir, "tcp.jsonl");
    const tcp = await runBridge({
      addresses: ports.map((port) => `tcp:127.0.0.1:${port}`),
      capture: overTcp,
      readingsPerBattery: 2,
    });
    for (const id of ["b1", "b2"]) {
      expect(valuesOf(tcp.readings, id).slice(0, 2)).toEqual(valuesOf(recorded.readings, id).slice(0, 2));
    }
    const tcpText = await readFile(overTcp, "utf8");
    for (const [i, port] of ports.entries()) {
      const stream = rxHex(tcpText, `tcp:127.0.0.1:${port}`).join(" ");
      const original = (rxBefore[i] ?? []).join(" ");
      expect(stream.length).toBeGreaterThan(100);
      expect(original.startsWith(stream.slice(0, Math.min(stream.length, original.length)))).toBe(true);
    }
  });

  it("keeps the bridge running when the disk is full, and says so once", async () => {
    const battery = createEmulatedBattery({ speed: 0 });
    const { readings, logger } = await runBridge({
      addresses: ["memory:one"],
      capture: "/dev/full",
      memory: new Map([["one", () => linkToBattery(battery)]]),
      readingsPerBattery: 4,
    });
    expect(readings.length).toBeGreaterThanOrEqual(4);
    const warnings = logger.records.filter((r) => r.message.includes("capture to /dev/full stopped"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain("ENOSPC");
  });

  it("refuses a capture path that cannot be opened, naming the flag", async () => {
    await expect(
      runBridge({
        addresses: ["memory:x"],
        capture: "/nonexistent-dir/c.jsonl",
        memory: new Map(),
        readingsPerBattery: 1,
      }),
    ).rejects.toThrow(/--capture \/nonexistent-dir\/c\.jsonl: cannot write there/);
  });
});
