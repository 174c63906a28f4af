/**
 * EmulatedBattery = model + responder + behaviours + clock. Simulated time advances with the clock
 * (`speed` simulated seconds per real second; 0 = only `advance()` moves it), synchronised lazily on every
 * request and whenever a status is read, so the model never needs a timer of its own.
 */
import { BmsError } from "../errors.js";
import { FrameAssembler } from "../protocol/assembler.js";
import type { AssemblerItem } from "../protocol/types.js";
import { type Clock, systemClock } from "../util/clock.js";
import { createFault, type FaultSpec, notificationSplitter } from "./behaviors/faults.js";
import { applyBehaviors, type Behavior, type Step, seededRandom } from "./behaviors/types.js";
import { BatteryModel, type BatterySnapshot } from "./model.js";
import { type EmulatorPort, PortImpl } from "./port.js";
import { type BatteryProfile, type ProfileOverrides, resolveProfile } from "./profile.js";
import { type RecordedRequest, RequestLog, type RequestPredicate } from "./request-log.js";
import { JbdResponder, type Responder, type Response } from "./responder.js";
import { Timeline, type TimelineEntry } from "./timeline.js";

/** BLE notifications carry 20 bytes on the DP04S (ATT MTU 23, jbd-protocol §9). */
export const DEFAULT_NOTIFY_SIZE = 20;

export interface EmulatedBatteryOptions {
  /** Overrides merged over DEFAULT_PROFILE (after the scenario's own overrides). */
  profile?: ProfileOverrides;
  /** Scenario profile overrides, applied before `profile`. */
  scenarioProfile?: ProfileOverrides;
  timeline?: readonly TimelineEntry[];
  faults?: readonly FaultSpec[];
  /** Extra behaviour layers, after the faults (they wrap them). */
  behaviors?: readonly Behavior[];
  clock?: Clock;
  /** Simulated seconds per real second (default 1; 0 freezes time except `advance`). */
  speed?: number;
  /** Seed for probabilistic faults (default 1). */
  seed?: number;
  notifySize?: number;
  /** BLE address or other identity shown in status lines (default A5:C2:37:00:00:01). */
  address?: string;
  /** Replaces the JBD responder (e.g. a replay script). */
  responder?: (model: BatteryModel) => Responder;
}

export class EmulatedBattery {
  readonly model: BatteryModel;
  readonly profile: BatteryProfile;
  readonly address: string;
  readonly clock: Clock;
  readonly speed: number;
  readonly #responder: Responder;
  readonly #behaviors: Behavior[];
  readonly #timeline: Timeline;
  readonly #log: RequestLog;
  readonly #random: () => number;
  readonly #startMs: number;
  /** Simulated seconds added by `advance()` on top of the clock-driven time. */
  #manualS = 0;
  #port: PortImpl | undefined;
  #assembler = new FrameAssembler();
  #faultCount = 0;

  constructor(options: EmulatedBatteryOptions = {}) {
    this.profile = resolveProfile(options.scenarioProfile, options.profile);
    this.model = new BatteryModel(this.profile);
    this.address = options.address ?? "A5:C2:37:00:00:01";
    this.clock = options.clock ?? systemClock;
    this.speed = options.speed ?? 1;
    this.#startMs = this.clock.now();
    this.#responder = options.responder?.(this.model) ?? new JbdResponder(this.model);
    this.#behaviors = [
      notificationSplitter(options.notifySize ?? DEFAULT_NOTIFY_SIZE),
      ...(options.faults ?? []).map(createFault),
      ...(options.behaviors ?? []),
    ];
    this.#timeline = new Timeline(options.timeline ?? []);
    this.#timeline.advance(this.model, 0);
    this.#log = new RequestLog(this.clock);
    this.#random = seededRandom(options.seed ?? 1);
  }

  /** Every request received so far, in order. */
  get requests(): readonly RecordedRequest[] {
    return this.#log.entries;
  }

  /** How many responses a fault changed so far. */
  get faultCount(): number {
    return this.#faultCount;
  }

  get isConnected(): boolean {
    return this.#port?.isOpen ?? false;
  }

  /** Waits for the next matching request (see RequestLog.expect). */
  expectRequest(predicate: RequestPredicate, timeoutMs: number): Promise<RecordedRequest> {
    return this.#log.expect(predicate, timeoutMs);
  }

  /** Moves simulated time forward by `seconds` (timeline events included). */
  advance(seconds: number): void {
    this.sync();
    this.#manualS += seconds;
    this.#timeline.advance(this.model, seconds);
  }

  /** Brings the model up to the clock's simulated time. */
  sync(): void {
    const target = ((this.clock.now() - this.#startMs) / 1000) * this.speed + this.#manualS;
    if (target > this.model.timeS) this.#timeline.advance(this.model, target - this.model.timeS);
  }

  snapshot(): BatterySnapshot {
    this.sync();
    return this.model.snapshot();
  }

  /** One central at a time, like the real BLE module and RS485 bus; a second connect fails with BUSY. */
  connect(): EmulatorPort {
    if (this.#port?.isOpen) throw new BmsError("BUSY", `${this.address} already has a connection`);
    this.#assembler = new FrameAssembler();
    // Factory mode is NOT reset here: the BMS behind the BLE/RS485 bridge never sees the link drop, so a
    // client that disconnects in factory mode leaves the BMS there (a reboot clears it).
    this.#port = new PortImpl({
      clock: this.clock,
      handleBytes: (_port, bytes) => this.#handleBytes(bytes),
      reboot: () => this.reboot(),
      released: (port) => {
        if (this.#port === port) this.#port = undefined;
      },
    });
    return this.#port;
  }

  /** Resets the BMS (protections, FET locks, factory mode) and drops the connection. */
  reboot(): void {
    this.model.reboot();
    this.#responder.reset();
    this.#port?.close();
  }

  /** Sends bytes the central did not ask for (unsolicited notifications). */
  sendUnsolicited(bytes: Uint8Array): void {
    this.#port?.run([{ kind: "send", bytes }]);
  }

  close(): void {
    this.#port?.close();
  }

  #handleBytes(bytes: Uint8Array): Step[] {
    this.sync();
    const steps: Step[] = [];
    for (const item of this.#assembler.push(bytes)) steps.push(...this.#handleItem(item));
    return steps;
  }

  #handleItem(item: AssemblerItem): Step[] {
    const base = { timeMs: this.clock.now(), simTimeS: this.model.timeS, bytes: item.bytes };
    if (item.kind === "invalid") {
      // jbd-protocol §2: a request with a bad checksum gets no answer at all
      this.#log.record({ ...base, kind: "invalid", error: item.error });
      return [];
    }
    if (item.kind !== "request") {
      this.#log.record({ ...base, kind: "other" });
      return [];
    }
    const recorded = this.#log.record({
      ...base,
      kind: "request",
      op: item.op,
      register: item.register,
      data: item.data,
    });
    const response = this.#responder.respond(item);
    const plan = planFor(response);
    const ctx = {
      requestIndex: recorded.index,
      simTimeS: this.model.timeS,
      register: item.register,
      random: this.#random,
    };
    const unfaulted = applyBehaviors(this.#behaviors.slice(0, 1), plan, ctx);
    const out = applyBehaviors(this.#behaviors, plan, ctx);
    if (!samePlan(unfaulted, out)) this.#faultCount += 1;
    return out;
  }
}

function planFor(response: Response | undefined): Step[] {
  if (response === undefined) return [];
  if (response instanceof Uint8Array) return [{ kind: "send", bytes: response }];
  return response.chunks.flatMap((bytes, i): Step[] => {
    const wait = response.delaysMs?.[i] ?? 0;
    return wait > 0
      ? [
          { kind: "wait", ms: wait },
          { kind: "send", bytes },
        ]
      : [{ kind: "send", bytes }];
  });
}

function samePlan(a: Step[], b: Step[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((step, i) => {
    const other = b[i] as Step;
    if (step.kind !== other.kind) return false;
    if (step.kind === "send" && other.kind === "send")
      return step.bytes.length === other.bytes.length && step.bytes.every((v, j) => v === other.bytes[j]);
    if (step.kind === "wait" && other.kind === "wait") return step.ms === other.ms;
    return true;
  });
}

/** Convenience factory (the public "./testing" entry re-exports it). */
export function createEmulatedBattery(options: EmulatedBatteryOptions = {}): EmulatedBattery {
  return new EmulatedBattery(options);
}
