import { describe, expect, it } from "vitest";
import { bankScalars } from "../../../../src/bridge/features/bank/bank-payload.js";
import { bankEntitiesFor } from "../../../../src/bridge/features/home-assistant/ha-bank-entities.js";
import {
  type BatteryShape,
  entitiesFor,
} from "../../../../src/bridge/features/home-assistant/ha-entities.js";
import {
  addressSlug,
  bankTarget,
  batteryTarget,
  discoveryMessage,
  expireAfterForPoll,
  type HaPayloadOptions,
  isOwnConfig,
  uniqueIdFor,
} from "../../../../src/bridge/features/home-assistant/ha-payload.js";
import { formatValues } from "../../../../src/bridge/publish/format.js";
import { batteryStatus } from "../../../../src/bridge/publish/status-json.js";
import { valuesFromReading } from "../../../../src/bridge/state/battery-values.js";
import { sampleReading } from "../../../../src/testing/index.js";
import { problems } from "./ha-schema.js";

const OPTIONS: HaPayloadOptions = {
  prefix: "accusolar",
  discoveryPrefix: "homeassistant",
  expireAfterS: 60,
  origin: { name: "bms-bridge", sw_version: "0.1.0" },
  bridgeId: "pi-1",
};
const FACTS = {
  batteryId: "house",
  address: "A5:C2:37:3C:76:D2",
  model: "DP04S007L4S200A",
  softwareVersionRaw: 0x10,
};
const SHAPE: BatteryShape = { cellCount: 4, ntcCount: 2, hasFullCharge: true, energy: true };
const messages = entitiesFor(SHAPE).map((e) => discoveryMessage(e, batteryTarget(FACTS, OPTIONS), OPTIONS));
const byKey = (key: string) => {
  const m = messages.find((x) => x.uniqueId === uniqueIdFor(FACTS.address, key));
  if (!m) throw new Error(`no entity ${key}`);
  return m.payload;
};

describe("Home Assistant discovery payloads", () => {
  it("pass Home Assistant's documented rules, every one of them", () => {
    expect(messages.length).toBeGreaterThan(40);
    for (const m of messages) expect(problems(m.topic, m.payload), m.topic).toEqual([]);
  });

  it("the rule check itself rejects what HA rejects", () => {
    const good = byKey("voltage");
    expect(problems("homeassistant/sensor/a/b/c/config", good)).not.toEqual([]);
    expect(problems("homeassistant/sensor/x/config", { ...good, state_topic: undefined })).toContain(
      "missing state_topic",
    );
    expect(problems("homeassistant/sensor/x/config", { ...good, unit_of_measurement: "Ah" })).toContain(
      "unit Ah is not valid for voltage",
    );
    expect(
      problems("homeassistant/sensor/x/config", { ...byKey("energy_charged"), state_class: "measurement" }),
    ).toContain("state_class measurement is not valid for energy");
    expect(
      problems("homeassistant/sensor/x/config", { ...byKey("health"), state_class: "measurement" }),
    ).toContain("enum sensors take no unit or state_class");
    expect(problems("homeassistant/sensor/x/config", { ...good, availability_topic: "t" })).toContain(
      "availability and availability_topic must not be used together",
    );
    expect(problems("homeassistant/sensor/x/config", { ...good, device: { name: "x" } })).toContain(
      "device needs identifiers or connections",
    );
    expect(problems("homeassistant/sensor/x/config", { ...good, stat_t: "t" })).toContain(
      "unknown key stat_t",
    );
  });

  it("gives every measurement a unit and a state class, and a device class wherever HA has one for the unit", () => {
    const deviceClassFor: Record<string, string> = { V: "voltage", mV: "voltage", A: "current", W: "power" };
    Object.assign(deviceClassFor, { "%": "battery", "°C": "temperature", kWh: "energy" });
    const numeric = messages.filter((m) => m.payload.unit_of_measurement !== undefined);
    expect(numeric.length).toBeGreaterThan(20);
    for (const { payload } of numeric) {
      expect(payload.state_class, String(payload.name)).toMatch(/^(measurement|total_increasing)$/);
      const unit = payload.unit_of_measurement as string;
      expect(payload.device_class, String(payload.name)).toBe(deviceClassFor[unit]);
    }
  });

  it("derives stable unique ids from the address with only characters HA accepts", () => {
    expect(uniqueIdFor("A5:C2:37:3C:76:D2", "voltage")).toBe("bmsbridge_a5c2373c76d2_voltage");
    expect(addressSlug("serial:/dev/ttyUSB0@19200")).toBe("serial_dev_ttyusb0_19200");
    expect(addressSlug("tcp:[fe80::1]:8899")).toBe("tcp_fe80_1_8899");
    const ids = messages.map((m) => m.uniqueId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
    // The battery id ("house") is not part of it: renaming a battery keeps its HA history.
    expect(ids.every((id) => !id.includes("house"))).toBe(true);
  });

  it("ties availability to the bridge's last will and the battery's availability topic, both required", () => {
    for (const { payload } of messages) {
      expect(payload.availability).toEqual([
        { topic: "accusolar/bridge/state" },
        { topic: "accusolar/battery/house/availability" },
      ]);
      expect(payload.availability_mode).toBe("all");
    }
  });

  it("describes the battery as a device with model, software version and its Bluetooth address", () => {
    expect(byKey("soc").device).toEqual({
      identifiers: ["bmsbridge_a5c2373c76d2"],
      connections: [["bluetooth", "A5:C2:37:3C:76:D2"]],
      name: "Battery house",
      manufacturer: "JBD",
      model: "DP04S007L4S200A",
      sw_version: "1.0",
    });
    const [voltage] = entitiesFor(SHAPE);
    if (!voltage) throw new Error("no entities");
    const serial = discoveryMessage(
      voltage,
      batteryTarget({ batteryId: "1", address: "serial:/dev/ttyUSB0" }, OPTIONS),
      OPTIONS,
    );
    expect(serial.payload.device).toEqual({
      identifiers: ["bmsbridge_serial_dev_ttyusb0"],
      name: "Battery 1",
      manufacturer: "JBD",
      model: "JBD BMS",
    });
  });

  it("reads status-derived entities from the status JSON with expire_after, energy counters from their topics", () => {
    expect(byKey("cell_3")).toMatchObject({
      state_topic: "accusolar/battery/house/status",
      value_template: "{{ (value_json.cells[2]) if value_json is defined else None }}",
      expire_after: 60,
      device_class: "voltage",
      unit_of_measurement: "V",
      state_class: "measurement",
    });
    const energy = byKey("energy_discharged");
    expect(energy).toMatchObject({
      state_topic: "accusolar/battery/house/energy/discharged_kwh",
      device_class: "energy",
      unit_of_measurement: "kWh",
      state_class: "total_increasing",
    });
    expect(energy.expire_after).toBeUndefined();
    expect(energy.value_template).toBeUndefined();
  });

  it("announces one problem binary sensor per protection bit, testing that bit of protection_raw", () => {
    const protection = messages.filter(
      (m) => m.topic.startsWith("homeassistant/binary_sensor/") && m.payload.device_class === "problem",
    );
    expect(protection).toHaveLength(16); // any-protection + bits 0..14 (docs/protocol.md §3)
    expect(byKey("protection_short_circuit").value_template).toBe(
      "{{ ('ON' if (value_json.protection_raw | int(0)) | bitwise_and(1024) > 0 else 'OFF') if value_json is defined else None }}",
    );
  });

  it("adds entities per cell and per probe, the mean temperature only with probes, energy only when counted", () => {
    const keys = (shape: BatteryShape) => entitiesFor(shape).map((e) => e.key);
    const bare = keys({ cellCount: 8, ntcCount: 0, hasFullCharge: false, energy: false });
    expect(bare.filter((k) => k.startsWith("cell_") && /\d$/.test(k))).toHaveLength(8);
    expect(bare).not.toContain("temperature");
    expect(bare).not.toContain("capacity_full");
    expect(bare).not.toContain("energy_charged");
    expect(keys(SHAPE)).toEqual(
      expect.arrayContaining(["temperature", "temperature_1", "temperature_2", "capacity_full"]),
    );
  });

  it("reads only keys the publisher's status JSON has, with the type the template expects", () => {
    const reading = sampleReading({
      basic: {
        extension: {
          humidityPct: 0,
          alarmRaw: 0,
          fullChargeAh: 275,
          remainingAh: 198.4,
          balanceCurrentRaw: 0,
        },
      },
    });
    const status = batteryStatus(
      reading,
      valuesFromReading(reading),
      formatValues(valuesFromReading(reading)),
    ) as Record<string, unknown>;
    for (const { payload } of messages) {
      const template = payload.value_template as string | undefined;
      if (template === undefined) continue;
      for (const [, key, index] of template.matchAll(/value_json\.([a-z_]+)(?:\[(\d+)\])?/g)) {
        const value =
          index === undefined ? status[key as string] : (status[key as string] as unknown[])[Number(index)];
        expect(value, `${String(payload.name)}: ${key}`).toBeDefined();
        if (payload.unit_of_measurement !== undefined)
          expect(typeof value, String(payload.name)).toBe("number");
      }
    }
  });

  it("recognises its own configs (our unique-id prefix and our bridge state topic) and no one else's", () => {
    expect(isOwnConfig(byKey("voltage"), "accusolar")).toBe(true);
    expect(isOwnConfig(byKey("voltage"), "garage")).toBe(false);
    expect(
      isOwnConfig({ unique_id: "other_1", availability: [{ topic: "accusolar/bridge/state" }] }, "accusolar"),
    ).toBe(false);
    expect(isOwnConfig("not json", "accusolar")).toBe(false);
  });

  it("derives expire_after from the poll interval: ten polls, at least two minutes", () => {
    expect(expireAfterForPoll(5)).toBe(120);
    expect(expireAfterForPoll(30)).toBe(300);
    expect(expireAfterForPoll(0.5)).toBe(120);
  });

  it("uses the configured name as the device name and a battery's own expire_after", () => {
    const [voltage] = entitiesFor(SHAPE);
    if (!voltage) throw new Error("no entities");
    const named = discoveryMessage(
      voltage,
      batteryTarget({ ...FACTS, name: "House bank 1", expireAfterS: 300 }, OPTIONS),
      OPTIONS,
    );
    expect((named.payload.device as { name: string }).name).toBe("House bank 1");
    expect(named.payload.expire_after).toBe(300);
  });
});

describe("Home Assistant discovery payloads for the bank", () => {
  const bank = bankEntitiesFor({ energy: true }).map((e) =>
    discoveryMessage(e, bankTarget(OPTIONS), OPTIONS),
  );

  it("pass Home Assistant's documented rules", () => {
    expect(bank).toHaveLength(15 + 4);
    for (const m of bank) expect(problems(m.topic, m.payload), m.topic).toEqual([]);
  });

  it("form one 'Battery bank' device available with the bridge, read from the bank topics", () => {
    const soc = bank.find((m) => m.uniqueId === "bmsbridge_bank_accusolar_soc")?.payload;
    expect(soc).toMatchObject({
      state_topic: "accusolar/bank/status",
      value_template: "{{ (value_json.soc_mean) if value_json is defined else None }}",
      availability: [{ topic: "accusolar/bridge/state" }],
      device: { identifiers: ["bmsbridge_bank_accusolar"], name: "Battery bank" },
    });
    const energy = bank.find((m) => m.uniqueId === "bmsbridge_bank_accusolar_energy_charged")?.payload;
    expect(energy?.state_topic).toBe("accusolar/bank/energy/charged_kwh");
    const tte = bank.find((m) => m.uniqueId === "bmsbridge_bank_accusolar_time_to_empty")?.payload;
    expect(tte).toMatchObject({ device_class: "duration", unit_of_measurement: "h" });
  });

  it("reads only keys the bank status JSON has", () => {
    const keys = Object.keys(bankScalars({ bank: undefined, configured: 0, time: 0 }));
    for (const { payload } of bank) {
      const template = payload.value_template as string | undefined;
      if (template === undefined) continue;
      for (const [, key] of template.matchAll(/value_json\.([a-z_]+)/g))
        expect(keys, String(payload.name)).toContain(key);
    }
  });
});
