/**
 * The scheduler. Batteries are grouped by medium: every BLE battery on one HCI adapter is in one group,
 * and a group runs ONE operation at a time (connect, read, disconnect), in a single loop, so the
 * adapter never sees two at once ("operation already in progress", docs/background.md §6.3). TCP, serial and
 * in-process batteries each get a group of their own.
 *
 * In a BLE group the first `maxConnections` batteries keep their link; the rest rotate
 * connect-read-disconnect (a BMS allows one central; adapters hold a few links: docs/background.md §5).
 * Each battery has its own due time: its interval after the last due time, or its back-off after a
 * failure, ± jitter. When a cycle overruns the interval the next poll starts at once; polls never
 * pile up (a missed slot is skipped, not queued).
 */
import { setMaxListeners } from "node:events";
import type { BatteryConfig, BridgeConfig } from "../../config/config.js";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { BatteryLinkOpener } from "../../transport/open-link.js";
import { type Clock, sleep } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import { BatterySession } from "./battery-session.js";

export interface PollerContext {
  config: Pick<BridgeConfig, "batteries" | "bridge">;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  links: BatteryLinkOpener;
  /** Source of jitter in [0, 1); tests pin it. Default Math.random. */
  random?: () => number;
}

interface Slot {
  session: BatterySession;
  keepConnected: boolean;
  dueAt: number;
}

interface Group {
  key: string;
  slots: Slot[];
  overrunning: boolean;
  /** Work queued by runExclusive(), run by the group loop between polls. */
  tasks: Array<() => Promise<void>>;
  /** Aborted to cut the loop's sleep short when a task arrives. */
  wake: AbortController;
}

/** What runExclusive() hands its operation. */
export interface ExclusiveAccess {
  session: BatterySession;
  keepConnected: boolean;
  signal: AbortSignal;
}

/** Group key: one per BLE adapter, one per other battery. */
export function groupKeyFor(battery: BatteryConfig): string {
  return battery.target.kind === "ble" ? `ble:${battery.hci}` : battery.address;
}

export class Poller {
  readonly #ctx: PollerContext;
  readonly #groups: Group[];
  readonly #abort = new AbortController();
  #running: Promise<void>[] = [];

  constructor(ctx: PollerContext) {
    this.#ctx = ctx;
    this.#groups = this.#buildGroups();
    // Every group waits on this one signal at the same time (and each link open may too): 11 or more
    // batteries are expected listeners, not the leak Node warns about on stderr at more than 10.
    setMaxListeners(2 * this.#groups.length + 10, this.#abort.signal);
  }

  /** Group keys with their battery ids, in config order. */
  get groups(): Array<{ key: string; batteryIds: string[] }> {
    return this.#groups.map((g) => ({ key: g.key, batteryIds: g.slots.map((s) => s.session.battery.id) }));
  }

  /**
   * Runs `operation` for one battery inside its group's loop, after the poll in progress and before the
   * next one, so it never overlaps a poll on the same link or adapter (MOSFET control and the mirror's
   * forwarded requests use it).
   * Rejects with DEVICE_NOT_FOUND for an unknown battery and CANCELED when the poller stops first.
   */
  runExclusive<T>(batteryId: string, operation: (access: ExclusiveAccess) => Promise<T>): Promise<T> {
    const found = this.#groups
      .flatMap((group) => group.slots.map((slot) => ({ group, slot })))
      .find(({ slot }) => slot.session.battery.id === batteryId);
    if (!found) {
      return Promise.reject(
        new BmsError("DEVICE_NOT_FOUND", `no configured battery "${batteryId}"`, { batteryId }),
      );
    }
    const { group, slot } = found;
    if (this.#abort.signal.aborted) return Promise.reject(stoppedError());
    return new Promise<T>((resolve, reject) => {
      group.tasks.push(async () => {
        if (this.#abort.signal.aborted) return reject(stoppedError());
        const access = {
          session: slot.session,
          keepConnected: slot.keepConnected,
          signal: this.#abort.signal,
        };
        await operation(access).then(resolve, reject);
      });
      group.wake.abort();
    });
  }

  start(): void {
    if (this.#running.length > 0) return;
    this.#running = this.#groups.map((group) => this.#runGroup(group));
  }

  /** Stops every loop, waits for the operation in progress, closes every link. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#running);
    for (const group of this.#groups) for (const task of group.tasks.splice(0)) await task();
    for (const group of this.#groups) {
      for (const slot of group.slots) await slot.session.close();
    }
  }

  #buildGroups(): Group[] {
    const { batteries, bridge } = this.#ctx.config;
    const byKey = new Map<string, Group>();
    const now = this.#ctx.clock.now();
    for (const battery of batteries) {
      const key = groupKeyFor(battery);
      let group = byKey.get(key);
      if (!group) {
        group = { key, slots: [], overrunning: false, tasks: [], wake: new AbortController() };
        byKey.set(key, group);
      }
      const session = new BatterySession(battery, {
        clock: this.#ctx.clock,
        logger: this.#ctx.logger,
        bus: this.#ctx.bus,
        links: this.#ctx.links,
        polling: bridge,
      });
      const persistentSlots = group.slots.filter((s) => s.keepConnected).length;
      const keepConnected = !battery.disconnectBetweenPolls && persistentSlots < bridge.maxConnections;
      group.slots.push({ session, keepConnected, dueAt: now });
    }
    return [...byKey.values()];
  }

  async #runGroup(group: Group): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#runTasks(group);
      const slot = earliest(group.slots);
      const waitMs = slot.dueAt - this.#ctx.clock.now();
      if (waitMs > 0) {
        this.#noteOverrun(group, false);
        try {
          await sleep(this.#ctx.clock, waitMs, [signal, group.wake.signal]);
        } catch {
          continue; // woken for a task, or stopping (the loop's condition ends it)
        }
      }
      await slot.session.poll({ keepConnected: slot.keepConnected, signal });
      this.#schedule(group, slot);
    }
  }

  /**
   * Runs the tasks queued so far, not those queued meanwhile: a feature that queues its next task as soon
   * as one ends (a busy mirror central) waits behind a poll that fell due, so polling is never starved.
   */
  async #runTasks(group: Group): Promise<void> {
    group.wake = new AbortController(); // for the next sleep (the last one may have been woken)
    for (const task of group.tasks.splice(0)) await task();
  }

  #schedule(group: Group, slot: Slot): void {
    const now = this.#ctx.clock.now();
    const session = slot.session;
    const delay = this.#jittered(session.nextDelayMs());
    // after a success keep the cadence (due + interval); after a failure wait the back-off from now
    const next = session.failures === 0 ? slot.dueAt + delay : now + delay;
    if (next < now) this.#noteOverrun(group, true);
    slot.dueAt = Math.max(next, now);
  }

  #jittered(delayMs: number): number {
    const jitter = this.#ctx.config.bridge.jitter;
    if (jitter === 0) return delayMs;
    const random = this.#ctx.random ?? Math.random;
    return Math.round(delayMs * (1 + jitter * (2 * random() - 1)));
  }

  /** Logs when reading a group starts or stops taking longer than its interval (once per change). */
  #noteOverrun(group: Group, overrunning: boolean): void {
    if (group.overrunning === overrunning) return;
    group.overrunning = overrunning;
    const count = group.slots.length;
    if (overrunning) {
      this.#ctx.logger.warn(
        `polling ${count} batter${count === 1 ? "y" : "ies"} on ${group.key} takes longer than the poll interval; reading back to back`,
      );
    } else {
      this.#ctx.logger.info(`polling on ${group.key} keeps up with the poll interval again`);
    }
  }
}

function stoppedError(): BmsError {
  return new BmsError("CANCELED", "the bridge is stopping");
}

function earliest(slots: Slot[]): Slot {
  return slots.reduce((best, slot) => (slot.dueAt < best.dueAt ? slot : best));
}
