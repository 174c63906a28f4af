/**
 * What the embedded broker does when a bridge dies. aedes speaks MQTT 3.1.1 only, which has no message
 * expiry, so a bridge that crashed (or lost power) used to leave its values, its batteries' `online` and the
 * site's `online` retained, read as live by the Accu-Solar app until a bridge started again
 * (docs/mqtt.md "Availability and stale values"). On Mosquitto, MQTT 5 expiry removes them within the
 * offline bound; here the broker itself does it at once, when it publishes the bridge's last will:
 *
 * - each battery the dead bridge listed in its retained `<prefix>/bridge/<bridge>/info` is said `offline`
 *   and its retained telemetry is cleared (a battery whose retained status names another bridge is left
 *   alone: that bridge reads it now);
 * - when no other bridge of the site is online, the plain topics, `<prefix>/system/health` and the bank
 *   view are cleared and the site's `<prefix>/bridge/state` says `offline`. With another bridge online,
 *   that one publishes the bank without the dead bridge's batteries (src/bridge/site).
 *
 * Only last wills trigger it: a bridge that stops cleanly clears its own topics (honouring
 * `clear_on_offline`), and a will is the broker's own word that the bridge is gone. It is idempotent with
 * what the site's bank publisher does for a dead bridge, so both may act.
 */
import type { Aedes, AedesPublishPacket, Client } from "aedes";
import {
  availabilityTopic,
  batteryTopic,
  STATUS_FIELD,
  systemHealthTopic,
  TELEMETRY_FIELDS,
} from "../bridge/mqtt/topics.js";
import { batteryTelemetryTopics } from "../bridge/publish/topic-sets.js";
import type { Logger } from "../log/logger.js";

/** `<prefix>/bridge/<bridge>/state`: the prefix may have several levels, the bridge id has one. */
const BRIDGE_STATE = /^(.+)\/bridge\/([^/]+)\/state$/;

/** The parts of aedes this needs that its type declarations leave out. */
interface RetainedStore {
  createRetainedStream(pattern: string): AsyncIterable<{ topic: string; payload: Buffer | string }>;
}
/** aedes sets this on a client that sent DISCONNECT: its will is not published. */
type ClosingClient = Client & { _disconnected?: boolean };

/** A will is published for a client whose connection has already closed without a DISCONNECT. */
function isLastWill(client: Client | null): boolean {
  const closing = client as ClosingClient | null;
  return closing?.closed === true && closing._disconnected !== true;
}

export function cleanUpAfterDeadBridges(broker: Aedes, logger: Logger): void {
  const store = (broker as unknown as { persistence: RetainedStore }).persistence;
  // one clean-up at a time: two bridges dying together must not both think the other is still online
  let queue: Promise<void> = Promise.resolve();

  const retained = async (pattern: string): Promise<Map<string, string>> => {
    const found = new Map<string, string>();
    for await (const packet of store.createRetainedStream(pattern))
      found.set(packet.topic, String(packet.payload));
    return found;
  };
  const publish = (topic: string, payload: string): Promise<void> =>
    new Promise((resolve) => {
      const packet = {
        cmd: "publish",
        topic,
        payload: Buffer.from(payload),
        qos: 1,
        retain: true,
        dup: false,
      };
      broker.publish(packet as AedesPublishPacket, () => resolve());
    });

  /** Says `offline` where something else is retained, clears what holds a value; returns how many changed. */
  const settle = async (offline: string[], clear: string[]): Promise<number> => {
    const now = await Promise.all(
      [...offline, ...clear].map(async (t) => [t, (await retained(t)).get(t)] as const),
    );
    const held = new Map(now);
    const work = [
      ...offline.filter((t) => held.get(t) !== "offline").map((t) => publish(t, "offline")),
      ...clear.filter((t) => (held.get(t) ?? "") !== "").map((t) => publish(t, "")),
    ];
    await Promise.all(work);
    return work.length;
  };

  const batteriesOf = async (prefix: string, bridgeId: string): Promise<string[]> => {
    const info = (await retained(`${prefix}/bridge/${bridgeId}/info`)).get(
      `${prefix}/bridge/${bridgeId}/info`,
    );
    try {
      const listed = (JSON.parse(info ?? "{}") as { batteries?: unknown }).batteries;
      return Array.isArray(listed) ? listed.filter((id): id is string => typeof id === "string") : [];
    } catch {
      return [];
    }
  };

  /** Whether a battery's retained status says another bridge reads it now. */
  const readByAnother = (status: string | undefined, bridgeId: string): boolean => {
    try {
      const bridge = (JSON.parse(status ?? "{}") as { bridge?: unknown }).bridge;
      return typeof bridge === "string" && bridge !== bridgeId;
    } catch {
      return false;
    }
  };

  const cleanUp = async (prefix: string, bridgeId: string): Promise<void> => {
    const stateTopic = `${prefix}/bridge/${bridgeId}/state`;
    // restarted meanwhile (its new connection said `online` after the old one's will): nothing to do
    if ((await retained(stateTopic)).get(stateTopic) !== "offline") return;
    const statuses = await retained(`${prefix}/battery/+/${STATUS_FIELD}`);
    const batteries = (await batteriesOf(prefix, bridgeId)).filter(
      (id) => !readByAnother(statuses.get(batteryTopic(prefix, id, STATUS_FIELD)), bridgeId),
    );
    const changed = await settle(
      batteries.map((id) => availabilityTopic(prefix, id)),
      batteries.flatMap((id) => batteryTelemetryTopics(prefix, id)),
    );
    const states = await retained(`${prefix}/bridge/+/state`);
    const othersOnline = [...states].some(([topic, payload]) => topic !== stateTopic && payload === "online");
    let siteCleared = false;
    if (!othersOnline) {
      const bank = [...(await retained(`${prefix}/bank/+`)).keys()];
      const plain = [...TELEMETRY_FIELDS, STATUS_FIELD].map((leaf) => batteryTopic(prefix, undefined, leaf));
      siteCleared =
        (await settle([`${prefix}/bridge/state`], [...plain, systemHealthTopic(prefix), ...bank])) > 0;
    }
    if (changed === 0 && !siteCleared) return;
    const said =
      batteries.length > 0 ? `: its batteries ${batteries.join(", ")} offline, their values cleared` : "";
    logger.info(
      `bridge ${bridgeId} (${prefix}) died${said}` +
        (siteCleared
          ? "; no bridge of the site is left: the site's values cleared and the site offline"
          : ""),
    );
  };

  broker.on("publish", (packet, client) => {
    if (!isLastWill(client)) return;
    const match = BRIDGE_STATE.exec(packet.topic);
    if (match === null || String(packet.payload) !== "offline") return;
    const [, prefix = "", bridgeId = ""] = match;
    queue = queue
      .then(() => cleanUp(prefix, bridgeId))
      .catch((error: unknown) => {
        logger.warn(
          `clean-up after bridge ${bridgeId} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
  });
}
