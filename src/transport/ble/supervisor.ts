/**
 * The bridge's BLE adapter: one per HCI selection, alive for the whole run, opening noble instances as it
 * needs them (noble-instance.ts). States: opening → up → down (lost) → opening → up … or failed.
 *
 * - Lost (unplugged, powered off, `hciconfig down`, bluetoothd took it): noticed from noble's state
 *   within a second or two, logged once; the running operation's caller gets ADAPTER_LOST at once, links
 *   close with ADAPTER_LOST, and new operations fail fast with it while the adapter is down.
 * - Wedged (the port stays open but the controller answers nothing): `wedgeAfterTimeouts` operations in
 *   a row timed out → logged, and the instance is replaced; a new instance starts with HCI Reset.
 * - Reopening: a fresh instance each time (the old one is closed for good), after 1 s, 2 s, 4 s … at most
 *   `maxReopenDelayMs` (30 s). Each attempt runs as an operation of the adapter's queue, so it never
 *   overlaps an operation still settling on the old instance: never two adapter operations at once.
 * - Not usable for `giveUpAfterMs` (default 10 min; from the start too): failed. A typed ADAPTER_LOST is
 *   handed to `onEvent` ("fatal"); the CLI turns it into exit code 1 so the service manager restarts us.
 */
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { doublingDelayMs } from "../../util/backoff.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import { describeHci, type HciSelection } from "../hci.js";
import { adapterLost, type BleAdapter, InstanceEndListeners } from "./adapter.js";
import type { AdapterEvent, AdapterHealth, AdapterState } from "./adapter-events.js";
import { isPermissionProblem, type NobleInstance, openNobleInstance } from "./noble-instance.js";
import { OperationQueue, type QueueEvent, type QueueOutcome } from "./operation-queue.js";

export type { AdapterEvent, AdapterHealth, AdapterState };

export interface SupervisorOptions {
  hci: HciSelection;
  clock: Clock;
  logger?: Logger | undefined;
  /** Opens one powered-on instance; default: noble on `hci` (tests pass a fake). */
  openInstance?: () => Promise<NobleInstance>;
  powerOnTimeoutMs?: number;
  firstReopenDelayMs?: number;
  maxReopenDelayMs?: number;
  giveUpAfterMs?: number;
  wedgeAfterTimeouts?: number;
  /** Passed to the operation queue: how long a late operation may keep the next one waiting. */
  settleGraceMs?: number;
  onEvent?: (event: AdapterEvent) => void;
  onQueueEvent?: (event: QueueEvent) => void;
}

export const ADAPTER_DEFAULTS = {
  powerOnTimeoutMs: 4000,
  firstReopenDelayMs: 1000,
  maxReopenDelayMs: 30_000,
  giveUpAfterMs: 600_000,
  wedgeAfterTimeouts: 3,
};

export class SupervisedAdapter implements BleAdapter {
  readonly hci: HciSelection;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly queue: OperationQueue;
  readonly #options: Required<
    Omit<SupervisorOptions, "logger" | "onEvent" | "onQueueEvent" | "settleGraceMs">
  > &
    SupervisorOptions;
  readonly #name: string;
  readonly #ends = new InstanceEndListeners();
  readonly #waiters = new Set<() => void>();
  #state: AdapterState = "opening";
  #instance: NobleInstance | undefined;
  #problem: BmsError;
  #attempts = 0;
  #downSince: number;
  #everUp = false;
  #timeoutsInARow = 0;
  #retryTimer: TimerHandle | undefined;
  #giveUpTimer: TimerHandle | undefined;
  readonly #health: Omit<AdapterHealth, "hci" | "state" | "queueDepth"> = {
    losses: 0,
    resets: 0,
    recoveries: 0,
  };

  constructor(options: SupervisorOptions) {
    this.hci = options.hci;
    this.clock = options.clock;
    this.logger = options.logger;
    this.#name = `Bluetooth adapter ${describeHci(options.hci)}`;
    const powerOnTimeoutMs = options.powerOnTimeoutMs ?? ADAPTER_DEFAULTS.powerOnTimeoutMs;
    this.#options = {
      ...ADAPTER_DEFAULTS,
      ...options,
      openInstance:
        options.openInstance ??
        (() =>
          openNobleInstance({
            hci: options.hci,
            clock: options.clock,
            logger: options.logger,
            powerOnTimeoutMs,
          })),
    };
    this.queue = new OperationQueue({
      clock: this.clock,
      ...(options.settleGraceMs !== undefined && { settleGraceMs: options.settleGraceMs }),
      ...(options.onQueueEvent && { onEvent: options.onQueueEvent }),
      onOutcome: (outcome) => this.#onOutcome(outcome),
    });
    this.#problem = new BmsError("ADAPTER_UNAVAILABLE", `${this.#name} is being opened`, {
      hci: describeHci(this.hci),
    });
    this.queue.hold(this.#problem);
    this.#downSince = this.clock.now();
    this.#armGiveUp();
    this.#attempt();
  }

  get state(): AdapterState {
    return this.#state;
  }

  get health(): AdapterHealth {
    return { hci: describeHci(this.hci), state: this.#state, queueDepth: this.queue.size, ...this.#health };
  }

  get noble() {
    if (!this.#instance) throw this.#problem;
    return this.#instance.noble;
  }

  onInstanceEnd(listener: (error: BmsError) => void): () => void {
    return this.#ends.add(listener);
  }

  /** Up: at once. Opening: waits for the attempt (at most `timeoutMs`). Down or failed: rejects at once. */
  ready(timeoutMs: number): Promise<void> {
    if (this.#state === "up") return Promise.resolve();
    if (this.#state !== "opening") return Promise.reject(this.#problem);
    return new Promise((resolve, reject) => {
      const done = () => {
        this.clock.clearTimeout(timer);
        this.#waiters.delete(done);
        if (this.#state === "up") resolve();
        else reject(this.#problem);
      };
      const timer = this.clock.setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#setState("closed");
    this.#clearTimers();
    this.#problem = new BmsError("CANCELED", `${this.#name} was closed`, { hci: describeHci(this.hci) });
    this.queue.close(this.#problem);
    this.queue.interrupt(this.#problem);
    this.#endInstance(this.#problem);
  }

  #attempt(): void {
    this.#retryTimer = undefined;
    this.#setState("opening");
    this.#attempts++;
    const label = this.#everUp ? "reopen" : "open";
    const timeoutMs = (this.#options.powerOnTimeoutMs ?? ADAPTER_DEFAULTS.powerOnTimeoutMs) + 2000;
    this.queue
      .run(label, () => this.#options.openInstance(), timeoutMs, { whileHeld: true })
      .then(
        (instance) => this.#up(instance),
        (error: unknown) => this.#attemptFailed(error),
      );
  }

  #up(instance: NobleInstance): void {
    if (this.#state !== "opening") {
      instance.close(); // closed (or failed) while the attempt ran
      return;
    }
    this.#instance = instance;
    instance.onLost((reason) => this.#lose(reason, "lost"));
    const downMs = this.clock.now() - this.#downSince;
    if (this.#everUp) {
      this.#health.recoveries++;
      this.logger?.info(
        `${this.#name} is back after ${Math.round(downMs / 1000)} s (attempt ${this.#attempts}); batteries on it resume`,
      );
    }
    this.#everUp = true;
    this.#attempts = 0;
    this.#timeoutsInARow = 0;
    this.#clearTimers();
    this.queue.release();
    this.#setState("up");
    this.#options.onEvent?.({ type: "up", hci: describeHci(this.hci), downMs });
  }

  #attemptFailed(error: unknown): void {
    if (this.#state !== "opening") return;
    const problem = error instanceof BmsError ? error : new BmsError("ADAPTER_UNAVAILABLE", String(error));
    if (isPermissionProblem(problem)) {
      this.#fail(problem);
      return;
    }
    if (!this.#everUp) this.#problem = problem;
    const delay = doublingDelayMs(
      this.#attempts,
      this.#options.firstReopenDelayMs,
      this.#options.maxReopenDelayMs,
    );
    this.logger?.debug(
      `${this.#name}: attempt ${this.#attempts} failed (${problem.message}); next in ${delay} ms`,
    );
    if (this.#attempts === 1 && !this.#everUp) {
      this.logger?.warn(
        `${problem.message}; retrying until it appears (gives up after ${minutes(this.#options.giveUpAfterMs)})`,
      );
    }
    this.#setState("down");
    this.#retryTimer = this.clock.setTimeout(() => this.#attempt(), delay);
  }

  /** Lost or wedged: the instance is done; its links and the operation running on it are told at once. */
  #lose(reason: string, kind: "lost" | "wedged"): void {
    if (this.#state !== "up") return;
    const hci = describeHci(this.hci);
    this.#problem = adapterLost(this.hci, reason);
    this.#health.lastProblem = { reason, time: this.clock.now() };
    if (kind === "lost") {
      this.#health.losses++;
      this.logger?.warn(
        `${this.#name} lost: ${reason}; reopening it (every ≤ ${this.#options.maxReopenDelayMs / 1000} s, giving up after ${minutes(this.#options.giveUpAfterMs)})`,
      );
      this.#options.onEvent?.({ type: "lost", hci, reason });
    } else {
      this.#health.resets++;
      this.logger?.warn(`${this.#name}: ${reason}; resetting it`);
      this.#options.onEvent?.({ type: "wedged", hci, timeouts: this.#timeoutsInARow });
    }
    this.#setState("down");
    this.queue.hold(this.#problem);
    this.#endInstance(this.#problem);
    this.#downSince = this.clock.now();
    this.#armGiveUp();
    this.#attempts = 0;
    this.#retryTimer = this.clock.setTimeout(
      () => this.#attempt(),
      kind === "wedged" ? 0 : this.#options.firstReopenDelayMs,
    );
  }

  #onOutcome(outcome: QueueOutcome): void {
    if (this.#state !== "up") return;
    this.#timeoutsInARow = outcome === "timeout" ? this.#timeoutsInARow + 1 : 0;
    if (this.#timeoutsInARow < this.#options.wedgeAfterTimeouts) return;
    this.#lose(
      `${this.#timeoutsInARow} operations in a row timed out (the controller is not answering)`,
      "wedged",
    );
  }

  #fail(error: BmsError): void {
    this.#clearTimers();
    this.#problem = new BmsError(
      "ADAPTER_LOST",
      `${error.message.startsWith(this.#name) ? error.message : `${this.#name}: ${error.message}`}`,
      { hci: describeHci(this.hci) },
      { cause: error },
    );
    this.#setState("failed");
    this.queue.close(this.#problem);
    this.queue.interrupt(this.#problem);
    this.#endInstance(this.#problem);
    this.#options.onEvent?.({ type: "fatal", hci: describeHci(this.hci), error: this.#problem });
  }

  #armGiveUp(): void {
    if (this.#giveUpTimer !== undefined) this.clock.clearTimeout(this.#giveUpTimer);
    const limitMs = this.#options.giveUpAfterMs;
    this.#giveUpTimer = this.clock.setTimeout(() => {
      this.#giveUpTimer = undefined;
      if (this.#state === "up" || this.#state === "closed") return;
      const why = this.#problem.message;
      this.#fail(
        new BmsError(
          "ADAPTER_LOST",
          `${this.#name} has not been usable for ${minutes(limitMs)} (${why}); giving up so the service manager can restart the bridge`,
        ),
      );
    }, limitMs);
  }

  #endInstance(error: BmsError): void {
    const instance = this.#instance;
    this.#instance = undefined;
    this.#ends.emit(error);
    instance?.close();
  }

  #setState(state: AdapterState): void {
    this.#state = state;
    for (const waiter of [...this.#waiters]) if (state !== "opening") waiter();
  }

  #clearTimers(): void {
    if (this.#retryTimer !== undefined) this.clock.clearTimeout(this.#retryTimer);
    if (this.#giveUpTimer !== undefined) this.clock.clearTimeout(this.#giveUpTimer);
    this.#retryTimer = undefined;
    this.#giveUpTimer = undefined;
  }
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}
