/**
 * The pure parts of `bms-bridge setup`: reading the user's answers (battery selection, broker) and
 * writing the configuration file text in the config schema's format (src/config/schema.ts), so that
 * `bms-bridge run --config FILE` loads exactly what the wizard chose.
 */
import { stringify as stringifyYaml } from "yaml";
import { parseAddress } from "../../transport/address.js";

/** What the user answered at the battery prompt. */
export type Selection =
  | { ok: true; indices: number[] }
  | { ok: true; address: string }
  | { ok: false; problem: string };

/**
 * `""` → the default (index 0), `all`, `1,3` / `1 3` (1-based), or an address typed by hand
 * (MAC, serial:/dev/ttyUSB0, tcp:host:port).
 */
export function parseSelection(input: string, count: number): Selection {
  const text = input.trim();
  if (text === "")
    return count > 0 ? { ok: true, indices: [0] } : { ok: false, problem: "nothing to select" };
  if (text.toLowerCase() === "all") return { ok: true, indices: Array.from({ length: count }, (_, i) => i) };
  if (/^[\d,\s]+$/.test(text)) {
    const numbers = text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    const bad = numbers.find((n) => !Number.isInteger(n) || n < 1 || n > count);
    if (bad !== undefined) return { ok: false, problem: `${bad} is not in the list (1-${count})` };
    return { ok: true, indices: [...new Set(numbers.map((n) => n - 1))] };
  }
  const parsed = parseAddress(text);
  if (parsed.ok) return { ok: true, address: text };
  return {
    ok: false,
    problem: `"${text}" is neither a number from the list nor an address (${parsed.problem})`,
  };
}

/** The `mqtt:` keys for a broker answer: `host`, `host:port`, `[v6]:port` or a URL. */
export type BrokerChoice =
  | { ok: true; broker: string; port?: number; url: string }
  | { ok: false; problem: string };

export const DEFAULT_BROKER = "localhost:1883";

export function parseBroker(input: string): BrokerChoice {
  const text = input.trim() || DEFAULT_BROKER;
  if (text.includes("://")) {
    try {
      const url = new URL(text);
      if (!["mqtt:", "mqtts:", "ws:", "wss:", "tcp:", "ssl:"].includes(url.protocol))
        return {
          ok: false,
          problem: `"${text}" has an unsupported scheme (use mqtt://, mqtts://, ws:// or wss://)`,
        };
      return { ok: true, broker: text, url: text };
    } catch {
      return { ok: false, problem: `"${text}" is not a valid URL` };
    }
  }
  const match = /^(\[[^\]]+\]|[^:\s/[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return { ok: false, problem: `"${text}" is not host[:port] or a URL` };
  const host = (match[1] as string).replace(/^\[(.*)\]$/, "$1");
  const port = match[2] === undefined ? 1883 : Number(match[2]);
  if (port < 1 || port > 65_535) return { ok: false, problem: `port ${port} must be between 1 and 65535` };
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return { ok: true, broker: host, port, url: `mqtt://${urlHost}:${port}` };
}

export interface SetupChoices {
  addresses: string[];
  broker: Extract<BrokerChoice, { ok: true }>;
  /** HCI selection, written when a BLE battery was chosen and it is not the default. */
  hci: string;
  /** For the comment on top of the file. */
  writtenAt: Date;
  version: string;
}

/** The config file text: a comment, then version / batteries / mqtt / bridge in the schema's keys. */
export function configFileText(choices: SetupChoices): string {
  const usesBle = choices.addresses.some((a) => {
    const parsed = parseAddress(a);
    return parsed.ok && parsed.address.kind === "ble";
  });
  const doc: Record<string, unknown> = {
    version: 1,
    batteries: choices.addresses.map((address) => ({ address })),
    mqtt: {
      broker: choices.broker.broker,
      ...(choices.broker.port !== undefined && { port: choices.broker.port }),
    },
  };
  if (usesBle && choices.hci !== "native") doc.bridge = { hci: choices.hci };
  const header = [
    `# bms-bridge configuration, written by \`bms-bridge setup\` ${choices.version} on ${choices.writtenAt.toISOString()}.`,
    "# Run it with: bms-bridge run --config <this file>. Every key: docs/cli-bridge.md.",
  ];
  return `${header.join("\n")}\n${stringifyYaml(doc)}`;
}
