/** Shared pieces of the fault suites: the bridge config they run, and readers of what it published and logged. */
import type { Observer } from "./observer.js";

/** A fast bridge (0.5 s polls, 0.3 s reply timeout) on Mosquitto at `port`, reading `addresses`. */
export function bridgeConfig(
  port: number,
  addresses: string[],
  bridge: Record<string, unknown> = {},
  mqtt: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    // explicit ids: the suites name batteries 1…N (a configured id is kept as it is)
    batteries: addresses.map((address, i) => ({ id: String(i + 1), address })),
    mqtt: { broker: "127.0.0.1", port, ha_discovery: false, ...mqtt },
    bridge: {
      poll_interval: 0.5,
      request_timeout: 0.3,
      request_attempts: 1,
      stale_after_polls: 1,
      offline_after_polls: 2,
      backoff_max: 1,
      jitter: 0,
      ...bridge,
    },
    log: { level: "info" },
  };
}

/** Every non-empty status JSON published for battery `id` (per-battery topic), in arrival order. */
export function publishedStatuses(
  sub: Observer,
  id: string,
  prefix = "accusolar",
): Array<Record<string, unknown>> {
  return sub
    .on(`${prefix}/battery/${id}/status`)
    .filter((m) => m.payload !== "")
    .map((m) => JSON.parse(m.payload) as Record<string, unknown>);
}

/** Log lines about one battery other than the per-reading `Published →` line. */
export function linesAbout(lines: string[], address: string): string[] {
  return lines.filter((line) => line.includes(address) && !line.includes("Published →"));
}

/**
 * Splits each battery's log lines into failure episodes: an episode opens with "read failed" and closes
 * with "reading again"; lines in between belong to it.
 */
export function logEpisodes(lines: string[], addresses: string[]): Array<[string, string[]]> {
  const episodes: Array<[string, string[]]> = [];
  for (const address of addresses) {
    let current: string[] | undefined;
    for (const line of linesAbout(lines, address)) {
      if (line.includes("read failed")) {
        current = [];
        episodes.push([address, current]);
      }
      current?.push(line);
      if (line.includes("reading again")) current = undefined;
    }
  }
  return episodes;
}
