/**
 * A client that reads the broker exactly the way Accu-Solar's `bms-bridge.ts` adapter does (our own code,
 * written from docs/background.md §8): MQTT 3.1.1, clean session, keepalive 60, anonymous, id
 * `accu-solar-bms-<hex>`, no reconnect, the 7 subscriptions in the app's order, and an answer 2000 ms after
 * connect() is CALLED with whatever arrived (so only retained values are seen). Parsing follows the app:
 * parseFloat for scalars, `cells` through Number() dropping NaN, `status` read only for JSON numbers (and a
 * `cells` array), last message wins, and a missing value shows as 0.
 */
import { randomBytes } from "node:crypto";
import mqtt from "mqtt";
import { BmsError } from "../errors.js";

export const ACCU_SOLAR_TOPICS = [
  "accusolar/battery/voltage",
  "accusolar/battery/current",
  "accusolar/battery/soc",
  "accusolar/battery/power",
  "accusolar/battery/temperature",
  "accusolar/battery/cells",
  "accusolar/battery/status",
] as const;

const SCALARS = ["voltage", "current", "soc", "power", "temp"] as const;
type Scalar = (typeof SCALARS)[number];

/** The scalar each single topic feeds (the app calls the temperature `temp`). */
const TOPIC_SCALAR: Record<string, Scalar> = {
  "accusolar/battery/voltage": "voltage",
  "accusolar/battery/current": "current",
  "accusolar/battery/soc": "soc",
  "accusolar/battery/power": "power",
  "accusolar/battery/temperature": "temp",
};

/** What the app would display. */
export interface AccuSolarView {
  voltage: number;
  current: number;
  soc: number;
  power: number;
  temp: number;
  /** Cell voltages in volts. */
  cells: number[];
  /** Values that never arrived and therefore show as 0 (or no cells). */
  missing: Array<Scalar | "cells">;
  /** Messages received in the window: 0 is the app's 503 "No data from BMS bridge". */
  messages: number;
}

function toCells(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.map((v) => Number(v)).filter((v) => !Number.isNaN(v));
}

class Collector {
  readonly values: Partial<Record<Scalar, number>> = {};
  cells: number[] | undefined;
  messages = 0;

  accept(topic: string, payload: Buffer): void {
    this.messages += 1;
    const text = payload.toString();
    const scalar = TOPIC_SCALAR[topic];
    if (scalar !== undefined) {
      const value = Number.parseFloat(text);
      if (!Number.isNaN(value)) this.values[scalar] = value;
    } else if (topic === "accusolar/battery/cells") {
      this.cells = toCells(parseJson(text)) ?? this.cells;
    } else if (topic === "accusolar/battery/status") {
      this.#acceptStatus(parseJson(text));
    }
  }

  #acceptStatus(status: unknown): void {
    if (typeof status !== "object" || status === null) return;
    const record = status as Record<string, unknown>;
    for (const key of SCALARS) {
      const value = record[key];
      // Numeric strings are ignored by the app (tested, docs/background.md §8).
      if (typeof value === "number") this.values[key] = value;
    }
    this.cells = toCells(record.cells) ?? this.cells;
  }

  view(): AccuSolarView {
    const missing: AccuSolarView["missing"] = SCALARS.filter((k) => this.values[k] === undefined);
    if (this.cells === undefined) missing.push("cells");
    return {
      voltage: this.values.voltage ?? 0,
      current: this.values.current ?? 0,
      soc: this.values.soc ?? 0,
      power: this.values.power ?? 0,
      temp: this.values.temp ?? 0,
      cells: this.cells ?? [],
      missing,
      messages: this.messages,
    };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Connects like Accu-Solar and returns what it would show after its 2 s window. A refused connection
 * rejects at once with BROKER_UNREACHABLE (the app's 503 "MQTT error: connect ECONNREFUSED").
 */
export function readLikeAccuSolar(
  options: { host?: string; port?: number; windowMs?: number } = {},
): Promise<AccuSolarView> {
  const url = `mqtt://${options.host ?? "localhost"}:${options.port ?? 1883}`;
  const collector = new Collector();
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      clientId: `accu-solar-bms-${randomBytes(4).toString("hex")}`,
      reconnectPeriod: 0,
    });
    const timer = setTimeout(() => {
      client.end(true);
      resolve(collector.view());
    }, options.windowMs ?? 2000);
    client.on("connect", () => client.subscribe([...ACCU_SOLAR_TOPICS]));
    client.on("message", (topic, payload) => collector.accept(topic, payload));
    client.on("error", (error) => {
      clearTimeout(timer);
      client.end(true);
      reject(new BmsError("BROKER_UNREACHABLE", `MQTT error: ${error.message}`, { url }, { cause: error }));
    });
  });
}
