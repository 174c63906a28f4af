/**
 * The start-up scan for stale Home Assistant configs: which retained configs under the discovery prefix
 * this bridge owns (isOwnConfig), and which of them nothing announces any more.
 */
import type { Logger } from "../../../log/logger.js";
import { type Clock, sleep } from "../../../util/clock.js";
import type { MqttPort } from "../../mqtt/port.js";
import { isOwnConfig } from "./ha-payload.js";

/** What the feature knows about a unique id's owner right now. */
export type OwnerVerdict =
  /** The owner (battery or bank) is not configured: the config is stale. */
  | "removed"
  /** The owner's entity set is known and this config is not in it: stale. */
  | "superseded"
  /** The owner's entity set is not known yet: decide later. */
  | "pending";

export class StaleConfigs {
  /** Own retained configs found and not yet confirmed or cleared: topic → unique id. */
  readonly #found = new Map<string, string>();

  /** Records a retained config seen during the scan if this bridge owns it. */
  record(topic: string, payload: Buffer, prefix: string, stateTopic?: string): void {
    if (payload.length === 0) return;
    try {
      const config = JSON.parse(payload.toString()) as { unique_id?: unknown };
      if (isOwnConfig(config, prefix, stateTopic)) this.#found.set(topic, config.unique_id as string);
    } catch {
      // Not JSON: not one of ours.
    }
  }

  /**
   * Returns the found topics to clear now: neither announced (`current`) nor pending. Announced ones
   * are forgotten (they are live again); pending ones are kept for a later call.
   */
  takeStale(current: ReadonlySet<string>, verdict: (uniqueId: string) => OwnerVerdict): string[] {
    const stale: string[] = [];
    for (const [topic, uniqueId] of this.#found) {
      if (!current.has(topic) && verdict(uniqueId) === "pending") continue;
      this.#found.delete(topic);
      if (!current.has(topic)) stale.push(topic);
    }
    return stale;
  }

  /**
   * Subscribes to `<discoveryPrefix>/+/+/config`, records what the broker sends back for `windowMs`
   * (retained configs arrive right after the subscription), then unsubscribes. An abort (stop) ends the
   * window early and rejects with the signal's reason.
   */
  async scan(
    deps: { mqtt: MqttPort; clock: Clock; logger: Logger },
    discoveryPrefix: string,
    prefix: string,
    windowMs: number,
    signal: AbortSignal,
    stateTopic?: string,
  ): Promise<void> {
    let open = true;
    const unsubscribe = await deps.mqtt.subscribe(`${discoveryPrefix}/+/+/config`, (topic, payload) => {
      if (open) this.record(topic, payload, prefix, stateTopic);
    });
    try {
      await sleep(deps.clock, windowMs, signal);
    } finally {
      open = false;
      await unsubscribe();
    }
    deps.logger.debug(() => `stale-config scan found ${this.#found.size} own configs`);
  }
}
