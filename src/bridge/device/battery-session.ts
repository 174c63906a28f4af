/**
 * Everything about one battery between polls: its link and client, the reading sequence number,
 * failure count and back-off, stale detection and availability. `poll()` never throws; the scheduler
 * (poller.ts) decides when to call it and never calls two sessions of one adapter at once.
 *
 * Rules (docs/background.md §6.1, §6.4, §6.7):
 * - 0x03 then 0x04 make one reading; 0x05 (model) is read once per connection (only until known when
 *   the link is not kept, so rotation costs no extra request per cycle).
 * - No valid reading for `staleAfterPolls` intervals → the link is dropped and reopened on the next poll.
 * - No valid reading for `offlineAfterPolls` intervals → availability offline (a timer, so it happens on
 *   time even while back-off stretches the polls). The next valid reading brings it back online.
 * - Logs once per state change; while failing, at most one line per back-off step.
 */
import type { BatteryConfig, PollingConfig } from "../../config/config.js";
import { BmsError, failureCause, isBmsError, toBmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { BasicInfo } from "../../protocol/registers/basic-info.js";
import type { CellVoltages } from "../../protocol/registers/cell-voltages.js";
import type { BatteryLinkOpener } from "../../transport/open-link.js";
import type { Link } from "../../transport/types.js";
import type { Clock } from "../../util/clock.js";
import type { EventBus } from "../event-bus.js";
import { BatteryAvailability, formatSeconds } from "./battery-availability.js";
import { BmsClient } from "./client.js";
import { PollHealth } from "./poll-health.js";

export interface SessionContext {
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  links: BatteryLinkOpener;
  polling: PollingConfig;
}

export interface PollOptions {
  /** Keep the link open after this poll (false: connect-read-disconnect). */
  keepConnected: boolean;
  signal?: AbortSignal;
}

/** Errors after which the link is certainly unusable. */
const LINK_FATAL = new Set(["DISCONNECTED", "NOT_OPEN", "CANCELED", "ADAPTER_LOST"]);

export class BatterySession {
  readonly battery: BatteryConfig;
  readonly #ctx: SessionContext;
  readonly #log: Logger;
  #link: Link | undefined;
  #client: BmsClient | undefined;
  #model: string | undefined;
  /** The link 0x05 was last asked on (once per connection). */
  #modelAskedOn: Link | undefined;
  #linkOpenedAt = 0;
  #staleLogged = false;
  #deviceInfoKey: string | undefined;
  #seq = 0;
  readonly #health: PollHealth;
  #lastValidAt: number;
  readonly #availability: BatteryAvailability;
  #closed = false;
  /** The link was lost (died, or dropped as stale): the next open is a reconnect. */
  #linkLost = false;
  // Stryker disable next-line BooleanLiteral: equivalent: poll() sets it before anything reads it
  #reconnected = false;

  constructor(battery: BatteryConfig, ctx: SessionContext) {
    this.battery = battery;
    this.#ctx = ctx;
    this.#log = ctx.logger;
    this.#lastValidAt = ctx.clock.now();
    this.#health = new PollHealth(ctx.logger, {
      intervalMs: this.intervalMs,
      backoffMaxMs: ctx.polling.backoffMaxMs,
      name: () => this.#name(),
      batteryId: battery.id,
    });
    this.#availability = new BatteryAvailability(
      battery.id,
      ctx,
      ctx.polling.offlineAfterPolls * this.intervalMs,
    );
    this.#availability.arm(() => this.#health.lastError);
  }

  get intervalMs(): number {
    return this.battery.pollIntervalS * 1000;
  }

  /** Consecutive failed polls (0 after a good one). */
  get failures(): number {
    return this.#health.failures;
  }

  get isConnected(): boolean {
    return this.#link?.isOpen === true;
  }

  /** How long to wait before the next poll: the interval, or the back-off after failures. */
  nextDelayMs(): number {
    return this.#health.nextDelayMs();
  }

  /** One poll: connect if needed, read 0x03 + 0x04, emit the reading. Never throws. */
  async poll(options: PollOptions): Promise<boolean> {
    if (this.#closed) return false;
    await this.#dropIfStale();
    let ok = false;
    let failure: BmsError | undefined;
    this.#reconnected = false;
    // stopping cancels a read in progress at once (not after its timeouts); the link closes below, in turn
    const onAbort = (): void => this.#client?.dispose();
    options.signal?.addEventListener("abort", onAbort); // removed below; a signal aborts once
    try {
      const client = await this.#connect(options.signal);
      await this.#readModelOnce(client, options.keepConnected);
      const basic = await client.readBasicInfo();
      const cells = await client.readCellVoltages();
      this.#emitReading(basic, cells);
      ok = true;
    } catch (error) {
      failure = toBmsError(error);
      // a poll cut short by stop() is not a battery failure: no back-off step, no warning
      if (!options.signal?.aborted) this.#health.failed(failure);
      if (LINK_FATAL.has(failure.code)) await this.#disconnect(true);
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      const rssi = this.#link?.rssi;
      if (!options.keepConnected || this.#closed || options.signal?.aborted) await this.#disconnect();
      if (!options.signal?.aborted) this.#emitOutcome(ok, failure, rssi);
    }
    return ok;
  }

  /**
   * Runs work other than the regular poll (MOSFET control) on this battery's client, connecting when
   * needed. The poller calls it between the polls of the battery's group, never during one, so the link
   * and the adapter see one operation at a time. Errors reach the caller; a dead link is dropped; the
   * link is closed afterwards unless it is kept.
   */
  async withClient<T>(operation: (client: BmsClient) => Promise<T>, options: PollOptions): Promise<T> {
    if (this.#closed)
      throw new BmsError("CANCELED", `${this.#name()}: stopping`, { battery: this.battery.id });
    try {
      return await operation(await this.#connect(options.signal));
    } catch (error) {
      const failure = toBmsError(error);
      if (LINK_FATAL.has(failure.code)) await this.#disconnect(true);
      throw failure;
    } finally {
      if (!options.keepConnected || this.#closed || options.signal?.aborted) await this.#disconnect();
    }
  }

  /** Takes a reading made outside poll() (the read-back after a control write) as the latest one. */
  acceptReading(basic: BasicInfo, cells: CellVoltages): void {
    this.#emitReading(basic, cells);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#availability.cancel();
    await this.#disconnect();
  }

  async #connect(signal: AbortSignal | undefined): Promise<BmsClient> {
    if (this.#link?.isOpen && this.#client) return this.#client;
    await this.#disconnect(true); // a kept link that died between polls (without one, nothing is lost)
    const polling = this.#ctx.polling;
    const link = await this.#ctx.links.open(this.battery, {
      timeoutMs: polling.connectTimeoutMs,
      ...(signal !== undefined && { signal }),
    });
    this.#link = link;
    this.#client = new BmsClient(
      link,
      { clock: this.#ctx.clock, logger: this.#log },
      {
        timeoutMs: polling.requestTimeoutMs,
        attempts: polling.requestAttempts,
        maxTimeoutMs: polling.requestTimeoutMs * 4,
      },
    );
    this.#linkOpenedAt = this.#ctx.clock.now();
    this.#reconnected = this.#linkLost;
    this.#linkLost = false;
    this.#log.debug(() => `${this.#name()}: link open`);
    return this.#client;
  }

  /** `lost`: the link is given up on, not closed as planned (rotation, stop): the next open is a reconnect. */
  async #disconnect(lost = false): Promise<void> {
    const link = this.#link;
    if (lost && link) this.#linkLost = true;
    this.#client?.dispose();
    this.#client = undefined;
    this.#link = undefined;
    if (link?.isOpen) await link.close().catch(() => undefined);
  }

  /** 0x05 once per connection; a BMS that refuses or ignores it simply has no model. */
  async #readModelOnce(client: BmsClient, keepConnected: boolean): Promise<void> {
    if (this.#modelAskedOn === this.#link || (!keepConnected && this.#model !== undefined)) return;
    this.#modelAskedOn = this.#link;
    try {
      this.#model = await client.readModel();
    } catch (error) {
      // some firmwares ignore registers they lack instead of answering 0x80: only a dead link fails the poll
      if (isBmsError(error) && LINK_FATAL.has(error.code)) throw error;
      this.#log.debug(() => `${this.#name()}: no model string (${(error as Error).message})`);
    }
  }

  #emitOutcome(ok: boolean, failure: BmsError | undefined, rssi: number | undefined): void {
    const error = failure && {
      code: failure.code,
      cause: failureCause(failure).cause,
      message: failure.message,
    };
    this.#ctx.bus.emit("poll", {
      batteryId: this.battery.id,
      time: this.#ctx.clock.now(),
      ok,
      reconnected: this.#reconnected,
      ...(error !== undefined && { error }),
      ...(rssi !== undefined && { rssi }),
    });
  }

  #emitReading(basic: BasicInfo, cells: CellVoltages): void {
    const now = this.#ctx.clock.now();
    this.#lastValidAt = now;
    this.#availability.arm(() => this.#health.lastError);
    this.#staleLogged = false;
    this.#health.succeeded(this.#model);
    this.#emitDeviceInfo(basic.softwareVersionRaw);
    // Online BEFORE the values: a consumer that sees a battery's telemetry also sees it online (the
    // publisher sends in event order), never values under a missing or `offline` availability.
    this.#availability.online();
    this.#ctx.bus.emit("reading", {
      batteryId: this.battery.id,
      address: this.battery.address,
      seq: ++this.#seq,
      time: now,
      basic,
      cells,
      ...(this.#model !== undefined && { model: this.#model }),
    });
  }

  /** deviceInfo only when the model or firmware version changed (not on every rotation connect). */
  #emitDeviceInfo(softwareVersionRaw: number): void {
    const key = JSON.stringify([this.#model, softwareVersionRaw]); // no model ≠ an empty one
    if (key === this.#deviceInfoKey) return;
    this.#deviceInfoKey = key;
    this.#ctx.bus.emit("deviceInfo", {
      batteryId: this.battery.id,
      address: this.battery.address,
      ...(this.#model !== undefined && { model: this.#model }),
      softwareVersionRaw,
    });
  }

  /** A link that has given no valid reading for staleAfterPolls intervals is dropped (reopened below). */
  async #dropIfStale(): Promise<void> {
    if (!this.#link) return;
    const now = this.#ctx.clock.now();
    const silentMs = now - Math.max(this.#lastValidAt, this.#linkOpenedAt);
    if (silentMs < this.#ctx.polling.staleAfterPolls * this.intervalMs) return;
    const message = `${this.#name()}: no valid reading for ${formatSeconds(now - this.#lastValidAt)}, reconnecting`;
    if (this.#staleLogged) this.#log.debug(message);
    else this.#log.info(message);
    this.#staleLogged = true;
    await this.#disconnect(true);
  }

  #name(): string {
    return `Battery ${this.battery.id} (${this.battery.address})`;
  }
}
