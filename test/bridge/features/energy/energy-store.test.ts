import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createEnergyStore,
  type EnergyState,
  parseEnergyState,
} from "../../../../src/bridge/features/energy/energy-store.js";
import { createMemoryLogger } from "../../../../src/log/logger.js";
import { ManualClock } from "../../../../src/testing/index.js";

const ADDRESS = "A5:C2:37:3C:76:D2";

function state(chargedKwh: number): EnergyState {
  return new Map([
    [
      ADDRESS,
      { batteryId: "house", counters: { chargedKwh, dischargedKwh: 2, chargedAh: 3, dischargedAh: 4 } },
    ],
  ]);
}

describe("energy state store", () => {
  let dir: string;
  let file: string;
  const clock = new ManualClock(Date.UTC(2026, 1, 22, 13, 5, 57));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "energy-store-"));
    file = join(dir, "energy.json");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function make() {
    const memory = createMemoryLogger();
    return { store: createEnergyStore({ path: file, logger: memory, clock }), memory };
  }

  it("starts at zero when there is no file", async () => {
    const { store } = make();
    const loaded = await store.load();
    expect(loaded.source).toBe("none");
    expect(loaded.state.size).toBe(0);
  });

  it("writes a versioned snake_case file and reads it back", async () => {
    const { store } = make();
    await store.save(state(1.5), clock.now());
    const json = JSON.parse(await readFile(file, "utf8"));
    expect(json).toEqual({
      version: 1,
      saved_at: "2026-02-22T13:05:57.000Z",
      batteries: {
        [ADDRESS]: {
          battery_id: "house",
          charged_kwh: 1.5,
          discharged_kwh: 2,
          charged_ah: 3,
          discharged_ah: 4,
        },
      },
    });
    const loaded = await store.load();
    expect(loaded.source).toBe("main");
    expect(loaded.state).toEqual(state(1.5));
    expect(await readdir(dir)).not.toContain("energy.json.tmp");
  });

  it("keeps the previous state as the backup on each save", async () => {
    const { store } = make();
    await store.save(state(1), clock.now());
    await store.save(state(2), clock.now());
    const backup = parseEnergyState(await readFile(`${file}.bak`, "utf8"));
    expect(backup).toEqual({ ok: true, state: state(1) });
  });

  it("ignores and removes a half-written temp file left by a crash mid-save", async () => {
    const { store, memory } = make();
    await store.save(state(7), clock.now());
    await writeFile(`${file}.tmp`, '{"version":1,"batteries":{"A5:C2:37:3C:76:D2":{"battery_id":"ho');
    const loaded = await store.load();
    expect(loaded.source).toBe("main");
    expect(loaded.state).toEqual(state(7));
    expect(await readdir(dir)).not.toContain("energy.json.tmp");
    expect(memory.records.some((r) => r.level === "warn" && r.message.includes("interrupted save"))).toBe(
      true,
    );
  });

  it("falls back to the backup when the main file is truncated, logs why and keeps the bad file aside", async () => {
    const { store, memory } = make();
    await store.save(state(1), clock.now());
    await store.save(state(2), clock.now());
    const good = await readFile(file, "utf8");
    await writeFile(file, good.slice(0, 40));
    const loaded = await store.load();
    expect(loaded.source).toBe("backup");
    expect(loaded.state).toEqual(state(1));
    const error = memory.records.find((r) => r.level === "error");
    expect(error?.message).toContain("not valid JSON");
    expect(error?.message).toContain(file);
    const files = await readdir(dir);
    expect(files).toContain(`energy.json.corrupt-${clock.now()}`);
    // The next save must not turn the corrupt file into the backup.
    await store.save(state(3), clock.now());
    expect(parseEnergyState(await readFile(`${file}.bak`, "utf8"))).toEqual({ ok: true, state: state(1) });
  });

  it("uses the backup when the main file is missing (crash between the link and the rename)", async () => {
    const { store } = make();
    await store.save(state(4), clock.now());
    await store.save(state(5), clock.now());
    await rm(file);
    const loaded = await store.load();
    expect(loaded).toEqual({ source: "backup", state: state(4) });
  });

  it("starts at zero and says so when both files are unreadable", async () => {
    const { store, memory } = make();
    await writeFile(file, "");
    await writeFile(`${file}.bak`, "{");
    const loaded = await store.load();
    expect(loaded.source).toBe("none");
    expect(memory.records.filter((r) => r.level === "error")).toHaveLength(2);
  });

  it("rejects files of another version or with invalid numbers", () => {
    expect(parseEnergyState('{"version":2,"batteries":{}}')).toEqual({
      ok: false,
      problem: "unsupported version 2",
    });
    const negative = { version: 1, batteries: { x: { battery_id: "1", charged_kwh: -1 } } };
    expect(parseEnergyState(JSON.stringify(negative))).toEqual({
      ok: false,
      problem: "battery x has an invalid charged_kwh",
    });
  });
});
