/**
 * EmulatedBattery = model + responder + behaviours + clock. Simulated time advances with the clock
 * (`speed` simulated seconds per real second; 0 = only `advance()` moves it), synchronised lazily on every
 * request and whenever a status is read, so the model never needs a timer of its own.
 * The controls (speed, online, console faults, a new scenario) are what the console adapter calls.
 */
import { BmsError } from "../errors.js";
import { FrameAssembler } from "../protocol/assembler.js";
import type { AssemblerItem } from "../protocol/types.js";
import { type Clock, systemClock } from "../util/clock.js";
import {
  type BatterySetup,
  type ConnectOptions,
  DEFAULT_NOTIFY_SIZE,
  type EmulatedBatteryOptions,
} from "./battery-options.js";
import { applyBehaviors, type Behavior, type Step, seededRandom } from "./behaviors/behavior.js";
import { createFault, type FaultSpec } from "./behaviors/faults.js";
import { type Medium, mediumBehaviors, WIRE_9600 } from "./behaviors/media.js";
import { BatteryModel } from "./model.js";
import { planFor, samePlan } from "./plan.js";
import { type EmulatorPort, PortImpl } from "./port.js";
import { type BatteryProfile, resolveProfile } from "./profile.js";
import { type RecordedRequest, RequestLog, type RequestPredicate } from "./request-log.js";
import { JbdResponder, type Responder } from "./responder.js";
import type { BatterySnapshot } from "./snapshot.js";
import { Timeline } from "./timeline.js";

export {
  type BatterySetup,
  type ConnectOptions,
  DEFAULT_NOTIFY_SIZE,
  type EmulatedBatteryOptions,
} from "./battery-options.js";

export class EmulatedBattery {
  readonly clock: Clock;
  readonly notifySize: number;
  #model!: BatteryModel;
  #profile!: BatteryProfile;
  #scenarioName: string | undefined;
  #responder!: Responder;
  #faults: Behavior[] = [];
  #faultSpecs: FaultSpec[] = [];
  #consoleFaults: Behavior[] = [];
  #consoleFaultText: string[] = [];
  readonly #extraBehaviors: Behavior[];
  #timeline!: Timeline;
  readonly #log: RequestLog;
  readonly #random: () => number;
  readonly #addressGiven: boolean;
  #address: string;
  #speed: number;
  /** Simulated time at `#anchorMs` on the clock; time runs on from there at `#speed`. */
  #anchorMs: number;
  #anchorSimS = 0;
  #online = true;
  readonly #onlineListeners = new Set<(online: boolean) => void>();
  #port: PortImpl | undefined;
  #portMedium: Medium["kind"] = "ble";
  #assembler = new FrameAssembler();
  #faultCount = 0;

  constructor(options: EmulatedBatteryOptions = {}) {
    this.#addressGiven = options.address !== undefined;
    this.#address = options.address ?? options.placeholderAddress ?? "A5:C2:37:00:00:01";
    this.clock = options.clock ?? systemClock;
    this.#speed = options.speed ?? 1;
    this.notifySize = options.notifySize ?? DEFAULT_NOTIFY_SIZE;
    this.#anchorMs = this.clock.now();
    this.#extraBehaviors = [...(options.behaviors ?? [])];
    this.#log = new RequestLog(this.clock);
    this.#random = seededRandom(options.seed ?? 1);
    this.load(options);
  }

  get model(): BatteryModel {
    return this.#model;
  }

  get profile(): BatteryProfile {
    return this.#profile;
  }

  get scenarioName(): string | undefined {
    return this.#scenarioName;
  }

  /** The MAC shown and advertised (see EmulatedBatteryOptions.address). */
  get address(): string {
    return this.#address;
  }

  /** Whether the MAC was given; if not, a BLE endpoint gives the battery its controller's address. */
  get addressGiven(): boolean {
    return this.#addressGiven;
  }

  adoptControllerAddress(address: string): void {
    if (!this.#addressGiven) this.#address = address;
  }

  get speed(): number {
    return this.#speed;
  }

  /**
   * Starts this battery over with a new profile, timeline, faults (a scenario), at simulated time 0,
   * keeping its address, clock, speed, connection and console faults.
   */
  load(setup: BatterySetup): void {
    this.#profile = resolveProfile(setup.scenarioProfile, setup.profile);
    this.#model = new BatteryModel(this.#profile);
    this.#scenarioName = setup.scenarioName;
    this.#responder = setup.responder?.(this.#model) ?? new JbdResponder(this.#model);
    this.#faultSpecs = [...(setup.faults ?? [])];
    this.#faults = this.#faultSpecs.map(createFault);
    this.#timeline = new Timeline(setup.timeline ?? []);
    this.#timeline.advance(this.#model, 0);
    this.#anchorMs = this.clock.now();
    this.#anchorSimS = 0;
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

  get online(): boolean {
    return this.#online;
  }

  /** The scenario's and the command line's faults. */
  get faults(): readonly FaultSpec[] {
    return this.#faultSpecs;
  }

  /** The faults set from the console (spec texts), on top of the scenario's and the command line's. */
  get consoleFaults(): readonly string[] {
    return this.#consoleFaultText;
  }

  setConsoleFaults(faults: ReadonlyArray<{ text: string; spec: FaultSpec }>): void {
    this.#consoleFaults = faults.map((f) => createFault(f.spec));
    this.#consoleFaultText = faults.map((f) => f.text);
  }

  /** Simulated seconds per real second from now on (0 freezes). */
  setSpeed(speed: number): void {
    this.sync();
    this.#anchorMs = this.clock.now();
    this.#anchorSimS = this.#model.timeS;
    this.#speed = speed;
  }

  /**
   * Offline = the BMS has no power. Over BLE (and the in-process link, which stands for it) the dongle
   * goes with it: the central is dropped and connections are refused. Over a wire the gateway or
   * adapter stays up and the battery simply never answers.
   */
  setOnline(online: boolean): void {
    if (online === this.#online) return;
    this.#online = online;
    if (!online && this.#portMedium === "ble") this.#port?.run([{ kind: "disconnect" }]);
    for (const listener of [...this.#onlineListeners]) listener(online);
  }

  onOnlineChange(listener: (online: boolean) => void): () => void {
    this.#onlineListeners.add(listener);
    return () => this.#onlineListeners.delete(listener);
  }

  /** Waits for the next matching request (see RequestLog.expect). */
  expectRequest(predicate: RequestPredicate, timeoutMs: number): Promise<RecordedRequest> {
    return this.#log.expect(predicate, timeoutMs);
  }

  /** Moves simulated time forward by `seconds` (timeline events included). */
  advance(seconds: number): void {
    this.sync();
    this.#anchorSimS += seconds;
    this.#timeline.advance(this.#model, seconds);
  }

  /** Brings the model up to the clock's simulated time. */
  sync(): void {
    const target = this.#anchorSimS + ((this.clock.now() - this.#anchorMs) / 1000) * this.#speed;
    if (target > this.#model.timeS) this.#timeline.advance(this.#model, target - this.#model.timeS);
  }

  snapshot(): BatterySnapshot {
    this.sync();
    return this.#model.snapshot();
  }

  /**
   * One central at a time, like the real BLE module and RS485 bus; a second connect fails with BUSY.
   * Over BLE an offline battery refuses with DEVICE_NOT_FOUND (nothing advertises).
   */
  connect(options: ConnectOptions = {}): EmulatorPort {
    if (this.#port?.isOpen) throw new BmsError("BUSY", `${this.address} already has a connection`);
    const medium: Medium =
      options.medium === "wire"
        ? { kind: "wire", pacing: options.pacing ?? WIRE_9600 }
        : { kind: "ble", notifySize: this.notifySize };
    if (!this.#online && medium.kind === "ble")
      throw new BmsError("DEVICE_NOT_FOUND", `${this.address} is offline (switched off in the console)`);
    this.#assembler = new FrameAssembler();
    this.#portMedium = medium.kind;
    const base = mediumBehaviors(medium);
    // Factory mode is NOT reset here: the BMS behind the BLE/RS485 bridge never sees the link drop, so a
    // client that disconnects in factory mode leaves the BMS there (a reboot clears it).
    this.#port = new PortImpl({
      clock: this.clock,
      handleBytes: (_port, bytes) => this.#handleBytes(bytes, base),
      reboot: () => this.reboot(),
      released: (port) => {
        if (this.#port === port) this.#port = undefined;
      },
    });
    return this.#port;
  }

  /** Resets the BMS (protections, FET locks, factory mode, unsaved settings) and drops the connection. */
  reboot(): void {
    this.#model.reboot();
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

  #handleBytes(bytes: Uint8Array, base: Behavior[]): Step[] {
    this.sync();
    const steps: Step[] = [];
    for (const item of this.#assembler.push(bytes)) steps.push(...this.#handleItem(item, base));
    return steps;
  }

  #handleItem(item: AssemblerItem, base: Behavior[]): Step[] {
    const entry = { timeMs: this.clock.now(), simTimeS: this.#model.timeS, bytes: item.bytes };
    if (item.kind === "invalid") {
      // docs/protocol.md §2: a request with a bad checksum gets no answer at all
      this.#log.record({ ...entry, kind: "invalid", error: item.error });
      return [];
    }
    if (item.kind !== "request") {
      this.#log.record({ ...entry, kind: "other" });
      return [];
    }
    const recorded = this.#log.record({
      ...entry,
      kind: "request",
      op: item.op,
      register: item.register,
      data: item.data,
    });
    if (!this.#online) return []; // a BMS without power on a live wire: silence
    const plan = planFor(this.#responder.respond(item));
    const ctx = {
      requestIndex: recorded.index,
      simTimeS: this.#model.timeS,
      register: item.register,
      random: this.#random,
    };
    const layers = [...base, ...this.#faults, ...this.#consoleFaults, ...this.#extraBehaviors];
    const unfaulted = applyBehaviors(base, plan, ctx);
    const out = applyBehaviors(layers, plan, ctx);
    if (!samePlan(unfaulted, out)) this.#faultCount += 1;
    return out;
  }
}

/** Convenience factory (the public "./testing" entry re-exports it). */
export function createEmulatedBattery(options: EmulatedBatteryOptions = {}): EmulatedBattery {
  return new EmulatedBattery(options);
}
