/**
 * The one configuration schema: it yields the type (config.ts derives the resolved one from it), applies
 * the defaults (defaults.ts) and validates.
 * Keys are snake_case as written in files; `parseConfig` (load.ts) turns the result into camelCase
 * `BridgeConfig`. Unknown keys are errors so a typo never silently falls back to a default.
 */
// a namespace import, so that the bundled configuration worker keeps only the parts used (load-isolated.ts)
import * as z from "zod";
import { parseAddress } from "../transport/address.js";
import { describeHci, parseHci } from "../transport/hci.js";
import { batteryIdFor } from "./battery-id.js";
import { CONFIG_DEFAULTS as D } from "./defaults.js";

export const CONFIG_VERSION = 1;

const show = (input: unknown): string => (typeof input === "string" ? `"${input}"` : String(input));

function number(what = "a number") {
  return z.number({ error: (issue) => `${show(issue.input)} is not ${what}` });
}

function bounded(min: number, max: number, unit = "") {
  const range = `must be between ${min} and ${max}${unit}`;
  return number()
    .min(min, { error: (issue) => `${show(issue.input)} ${range}` })
    .max(max, { error: (issue) => `${show(issue.input)} ${range}` });
}

function wholeBounded(min: number, max: number, unit = "") {
  return bounded(min, max, unit).int({ error: (issue) => `${show(issue.input)} is not a whole number` });
}

function flag() {
  return z.boolean({ error: (issue) => `${show(issue.input)} is not a boolean (true/false, 1/0, yes/no)` });
}

function text(what: string) {
  return z.string({ error: (issue) => `${show(issue.input)} is not ${what}` });
}

const address = text("an address").superRefine((value, ctx) => {
  const parsed = parseAddress(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

const hci = text("an HCI selection").superRefine((value, ctx) => {
  const parsed = parseHci(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.problem });
});

/** Topic ids end up in `accusolar/battery/<id>/…`: no MQTT wildcards or separators. */
const TOPIC_ID = /^[A-Za-z0-9_-]{1,64}$/;
const topicId = text("a battery id").regex(TOPIC_ID, {
  error: (issue) =>
    `${show(issue.input)} may only contain letters, digits, "-" and "_" (it is a topic level)`,
});

/** A bridge's name on the site: one topic level (`<prefix>/bridge/<id>/state`). */
const bridgeId = text("a bridge id").regex(TOPIC_ID, {
  error: (issue) =>
    `${show(issue.input)} may only contain letters, digits, "-" and "_" (it is a topic level)`,
});

export const BANK_MODES = ["auto", "always", "off"] as const;
export type BankMode = (typeof BANK_MODES)[number];

/** docs/protocol.md §1: one central at a time; a rotating poll below ~1 s gains nothing. */
const pollInterval = bounded(0.5, 86_400, " s");

const batterySchema = z.strictObject({
  /** Topic id: accusolar/battery/<id>/…; defaults to the name, else one derived from the address (addressBatteryId). */
  id: topicId.optional(),
  /** Human name (Home Assistant device name); used as the id when no id is given. */
  name: text("a name").min(1).optional(),
  address,
  hci: hci.optional(),
  poll_interval: pollInterval.optional(),
  disconnect_between_polls: flag().optional(),
});

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** What the MQTT connection speaks (tcp:/ssl: are common aliases of mqtt:/mqtts:). */
const BROKER_SCHEMES = new Set(["mqtt:", "mqtts:", "tcp:", "ssl:"]);

/** A host name / IP, or a URL such as mqtts://user:pass@broker:8883. */
const broker = text("a host name or URL")
  .min(1, { error: "must not be empty" })
  .superRefine((value, ctx) => {
    if (!value.includes("://")) {
      if (/[\s/]/.test(value))
        ctx.addIssue({ code: "custom", message: `"${value}" is not a host name or URL` });
      return;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: `"${value}" is not a valid URL` });
      return;
    }
    if (!BROKER_SCHEMES.has(url.protocol)) {
      ctx.addIssue({
        code: "custom",
        message: `"${value}" has an unsupported scheme (use mqtt:// or mqtts://)`,
      });
    }
  });

const mqttSchema = z.strictObject({
  broker: broker.default(D.mqtt.broker),
  /** Default 1883, or 8883 with TLS; a port in the broker URL wins. */
  port: wholeBounded(1, 65_535).optional(),
  username: text("a user name").optional(),
  password: text("a password").optional(),
  tls: flag().default(D.mqtt.tls),
  ca_file: text("a file path").min(1).optional(),
  /** Default: unique per bridge, so two bridges on one broker never kick each other off (docs/background.md §7 bug 2). */
  client_id: text("a client id").min(1).max(128).optional(),
  qos: z
    .union([z.literal(0), z.literal(1), z.literal(2)], {
      error: (issue) => `${show(issue.input)} is not 0, 1 or 2`,
    })
    .default(D.mqtt.qos),
  topic_prefix: text("a topic prefix")
    .regex(/^[^#+]+$/, { error: (issue) => `${show(issue.input)} must not be empty or contain + or #` })
    .default(D.mqtt.topicPrefix),
  ha_discovery: flag().default(D.mqtt.haDiscovery),
  /** Publishes kept while the broker is unreachable; beyond it the oldest are dropped and counted. */
  queue_limit: wholeBounded(1, 1_000_000).default(D.mqtt.queueLimit),
  /**
   * The offline bound (s): MQTT 5 expiry of telemetry, of a battery's `online` and of the site's `online`,
   * so nothing a dead bridge published says live for longer. Default max(60, 6 × the slowest poll).
   */
  message_expiry: wholeBounded(1, 86_400, " s").optional(),
  ha_discovery_prefix: text("a topic prefix")
    .regex(/^[^#+]+$/, { error: (issue) => `${show(issue.input)} must not be empty or contain + or #` })
    .default(D.mqtt.haDiscoveryPrefix),
});

const bridgeSchema = z.strictObject({
  /** This bridge on the site (`<prefix>/bridge/<id>/…`); default: the host name, made topic-safe. */
  id: bridgeId.optional(),
  /**
   * Who publishes the site's bank (the plain topics and `<prefix>/bank/…`): `auto` = the online bridge
   * with the lowest id among the `auto` ones, `always` = this one, `off` = never this one.
   */
  bank: z
    .enum(BANK_MODES, {
      error: (issue) => `${show(issue.input)} is not one of ${BANK_MODES.join(", ")}`,
    })
    .default(D.bridge.bank),
  /** Seconds between reads of one battery (POLL_INTERVAL of the original Python bridge). */
  poll_interval: pollInterval.default(D.bridge.pollIntervalS),
  /** Default HCI adapter for BLE batteries (native, native:N, uart:/dev/ttyX). */
  hci: hci.default(D.bridge.hci),
  /** Persistent BLE connections per adapter; batteries beyond it are read connect-read-disconnect. */
  max_connections: wholeBounded(1, 16).default(D.bridge.maxConnections),
  /** Disconnect after every read so the phone app can connect in between (getdoover default). */
  disconnect_between_polls: flag().default(D.bridge.disconnectBetweenPolls),
  connect_timeout: bounded(1, 120, " s").default(D.bridge.connectTimeoutS),
  /** First try's reply timeout; each retry waits ×1.5 longer, capped at 4× this. */
  request_timeout: bounded(0.1, 30, " s").default(D.bridge.requestTimeoutS),
  request_attempts: wholeBounded(1, 10).default(D.bridge.requestAttempts),
  /** No valid reading for this many intervals → drop the link and reconnect. */
  stale_after_polls: wholeBounded(1, 1000).default(D.bridge.staleAfterPolls),
  /** No valid reading for this many intervals → availability offline. */
  offline_after_polls: wholeBounded(1, 1000).default(D.bridge.offlineAfterPolls),
  /** Longest wait between attempts on a failing battery. */
  backoff_max: bounded(1, 3600, " s").default(D.bridge.backoffMaxS),
  /**
   * A BLE adapter that cannot be brought back (unplugged, wedged, powered off) for this long ends the run
   * with exit code 1, so the service manager restarts the bridge.
   */
  adapter_give_up_after: bounded(1, 86_400, " s").default(D.bridge.adapterGiveUpAfterS),
  /** ± fraction of each delay added at random so batteries drift apart. */
  jitter: bounded(0, 0.5).default(D.bridge.jitter),
  /** Where energy counters (kWh/Ah in and out) persist; absent = energy counters off. */
  energy_state_file: text("a file path").min(1).optional(),
  /** Act on `<prefix>/battery/<id>/set/charge|discharge` (0xE1 MOSFET writes); off = nothing is written. */
  allow_control: flag().default(D.bridge.allowControl),
  /** Record every request and response chunk to this JSON-lines file (`--capture`). */
  capture_file: text("a file path").min(1).optional(),
});

const logSchema = z.strictObject({
  level: z
    .enum(LOG_LEVELS, { error: (issue) => `${show(issue.input)} is not one of ${LOG_LEVELS.join(", ")}` })
    .default(D.log.level),
  json: flag().default(D.log.json),
});

export const configSchema = z
  .strictObject({
    version: z
      .literal(CONFIG_VERSION, {
        error: (issue) => `${show(issue.input)} is not a supported version (${CONFIG_VERSION})`,
      })
      .default(CONFIG_VERSION),
    batteries: z.array(batterySchema, { error: "must be a list of batteries" }).default([]),
    mqtt: mqttSchema.prefault({}),
    bridge: bridgeSchema.prefault({}),
    log: logSchema.prefault({}),
    /**
     * BLE controllers that re-advertise the batteries for the phone app, one per battery in battery order
     * (src/bridge/features/mirror/).
     */
    mirror: z.array(hci, { error: "must be a list of HCI selections" }).default([]),
  })
  .superRefine((config, ctx) => {
    if (config.bridge.offline_after_polls < config.bridge.stale_after_polls) {
      ctx.addIssue({
        code: "custom",
        path: ["bridge", "offline_after_polls"],
        message: `${config.bridge.offline_after_polls} must be at least stale_after_polls (${config.bridge.stale_after_polls})`,
      });
    }
    checkUniqueBatteries(config.batteries, ctx);
    checkMirrors(config, ctx);
  });

/** `uart:/x` and `hci1` as one comparable text per controller; undefined when it does not parse. */
function controllerKey(text: string): string | undefined {
  const parsed = parseHci(text);
  return parsed.ok ? describeHci(parsed.hci) : undefined;
}

/**
 * A mirror controller advertises (bleno) and cannot also be an adapter the bridge reads with (noble):
 * they cannot share a controller. One mirror per battery, each on its own controller.
 */
function checkMirrors(
  config: { mirror: string[]; batteries: z.infer<typeof batterySchema>[]; bridge: { hci: string } },
  ctx: z.RefinementCtx,
): void {
  const reading = new Set<string>();
  for (const battery of config.batteries) {
    const parsed = parseAddress(battery.address);
    if (!parsed.ok || parsed.address.kind !== "ble") continue;
    const key = controllerKey(battery.hci ?? config.bridge.hci);
    if (key !== undefined) reading.add(key);
  }
  const seen = new Map<string, number>();
  config.mirror.forEach((text, index) => {
    const key = controllerKey(text);
    if (key === undefined) return; // the HCI schema reported it
    const path = ["mirror", index];
    if (reading.has(key)) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `${key} is the adapter the bridge reads batteries with; a mirror needs a controller of its own`,
      });
    }
    const before = seen.get(key);
    if (before !== undefined) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `${key} is listed twice (also mirror ${before + 1}); each mirror needs a controller of its own`,
      });
    }
    seen.set(key, index);
  });
  if (config.batteries.length > 0 && config.mirror.length > config.batteries.length) {
    ctx.addIssue({
      code: "custom",
      path: ["mirror"],
      message: `${config.mirror.length} controllers for ${config.batteries.length} batter${config.batteries.length === 1 ? "y" : "ies"}: one mirror per battery`,
    });
  }
}

function checkUniqueBatteries(batteries: z.infer<typeof batterySchema>[], ctx: z.RefinementCtx): void {
  const ids = new Map<string, number>();
  const addresses = new Map<string, number>();
  batteries.forEach((battery, index) => {
    const parsed = parseAddress(battery.address);
    // the bridge id only prefixes host-local addresses, which it cannot make equal or different
    const id = batteryIdFor(battery, index, parsed.ok ? parsed.address : undefined, "bridge");
    const key = parsed.ok ? JSON.stringify(parsed.address) : battery.address;
    const seenId = ids.get(id);
    const seenAddress = addresses.get(key);
    // the same address twice also derives the same id: one problem, the address
    const derivedId = !battery.id && !battery.name;
    if (seenId !== undefined && !(derivedId && seenAddress !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["batteries", index, "id"],
        message: `"${id}" is used by battery ${seenId + 1} too`,
      });
    }
    if (seenAddress !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["batteries", index, "address"],
        message: `"${battery.address}" is listed twice (also battery ${seenAddress + 1})`,
      });
    }
    ids.set(id, index);
    addresses.set(key, index);
  });
}

/** The file / merged-layer shape, as written (snake_case, before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
/** After defaults and validation, still snake_case. */
export type ConfigOutput = z.output<typeof configSchema>;
export type LogLevelName = (typeof LOG_LEVELS)[number];
