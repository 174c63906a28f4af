/**
 * What a mirror answers its phone app, request by request (no BLE here: mirror-central.ts carries the
 * bytes, mirror-feature.ts wires it to bleno and the bridge).
 *
 * - 0x03 / 0x04 / 0x05: from the battery's latest valid reading in the store, encoded with the shared
 *   codec, but only while it is online and no older than the offline bound. Otherwise no answer, as a
 *   battery that is gone gives none (the mirror also stops advertising then).
 * - Any other read (0xAA error counters, 0xA0–0xA2 strings, parameter registers, unknown ones): passed on
 *   to the battery through the bridge's one queue for its adapter (Poller.runExclusive: between polls),
 *   and the BMS's answer, error replies included, is kept for `cacheMs` and shared by every asker.
 * - Writes (factory mode 0x00/0x01, parameters, 0xA0–0xA2, 0xE1 MOSFET): without --allow-control refused
 *   with the BMS's own "operation error" reply (status 0x81, what a BMS answers a write it will not do)
 *   and nothing reaches the battery; with it, written through the same guarded path as MQTT control
 *   (write, then 0x03 + 0x04 read back and published) and logged with the central's address.
 */
import { toBmsError } from "../../../errors.js";
import type { Logger } from "../../../log/logger.js";
import { toHex } from "../../../protocol/bytes.js";
import { encodeResponse } from "../../../protocol/frame.js";
import { encodeBasicInfo } from "../../../protocol/registers/basic-info.js";
import { encodeCellVoltages } from "../../../protocol/registers/cell-voltages.js";
import { encodeHardwareVersion } from "../../../protocol/registers/hardware-version.js";
import { REGISTER } from "../../../protocol/registers/index.js";
import type { RequestFrame, ResponseFrame } from "../../../protocol/types.js";
import type { Clock } from "../../../util/clock.js";
import type { BatteryState } from "../../state/battery-store.js";
import type { BatteryReading } from "../../types.js";
import { FET_FIELDS, type FetField, type FetState, fetStates, isConfirmed } from "../control/fet-command.js";

/** Status 0x81, "operation error" (src/protocol/status.ts): what a BMS answers a write it will not do. */
export const STATUS_OPERATION_ERROR = 0x81;

export interface MirrorAnswersContext {
  clock: Clock;
  logger: Logger;
  /** The battery as the store holds it now. */
  battery: () => BatteryState | undefined;
  /** Passes a read on to the battery between polls; rejects when it cannot be read. */
  forward: (request: RequestFrame) => Promise<ResponseFrame>;
  /** Writes through the guarded path (write + read-back); only called with allowControl. */
  writeThrough: (request: RequestFrame) => Promise<{ reply: ResponseFrame; after: ReadbackFets }>;
}

export interface ReadbackFets {
  fetRaw: number;
  protectionRaw: number;
}

export interface MirrorAnswersOptions {
  /** The battery's offline bound (ms): a reading older than this is never served. */
  freshForMs: number;
  /** How long a forwarded answer is served again without asking the battery (ms). */
  cacheMs: number;
  allowControl: boolean;
  /** For log lines: "mirror of battery 1 on uart:/…". */
  label: string;
}

interface Cached {
  bytes: Uint8Array;
  at: number;
}

export class MirrorAnswers {
  readonly #ctx: MirrorAnswersContext;
  readonly #options: MirrorAnswersOptions;
  /** At most one entry per register (256), so the cache is bounded. */
  readonly #cache = new Map<number, Cached>();
  readonly #inFlight = new Map<number, Promise<Uint8Array | undefined>>();
  #refusalLoggedAt: number | undefined;
  #refusalsUnlogged = 0;

  constructor(ctx: MirrorAnswersContext, options: MirrorAnswersOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  /** The latest reading when it may be served: online and within the offline bound. */
  freshReading(): BatteryReading | undefined {
    const state = this.#ctx.battery();
    const reading = state?.reading;
    if (state?.availability !== "online" || reading === undefined) return undefined;
    const age = this.#ctx.clock.now() - reading.time;
    return age <= this.#options.freshForMs ? reading : undefined;
  }

  /** The response bytes for one request, or undefined for no answer. Never throws. */
  async answer(request: RequestFrame, central: string): Promise<Uint8Array | undefined> {
    if (request.op === "write") return this.#write(request, central);
    const reading = this.freshReading();
    if (reading === undefined) return undefined;
    switch (request.register) {
      case REGISTER.basicInfo:
        return encodeResponse(REGISTER.basicInfo, 0, encodeBasicInfo(reading.basic));
      case REGISTER.cellVoltages:
        return encodeResponse(REGISTER.cellVoltages, 0, encodeCellVoltages(reading.cells));
      case REGISTER.hardwareVersion: {
        const model = reading.model ?? this.#ctx.battery()?.model;
        if (model !== undefined)
          return encodeResponse(REGISTER.hardwareVersion, 0, encodeHardwareVersion({ text: model }));
        return this.#forwarded(request);
      }
      default:
        return this.#forwarded(request);
    }
  }

  /** A cached answer, else one trip to the battery shared by everyone asking meanwhile. */
  #forwarded(request: RequestFrame): Promise<Uint8Array | undefined> {
    const { register } = request;
    const cached = this.#cache.get(register);
    if (cached && this.#ctx.clock.now() - cached.at <= this.#options.cacheMs)
      return Promise.resolve(cached.bytes);
    const pending = this.#inFlight.get(register);
    if (pending !== undefined) return pending;
    const trip = this.#ctx
      .forward(request)
      .then((reply) => {
        this.#cache.set(register, { bytes: reply.bytes, at: this.#ctx.clock.now() });
        return reply.bytes;
      })
      .catch((error: unknown) => {
        this.#ctx.logger.debug(
          () => `${this.#options.label}: 0x${hex(register)} not answered: ${toBmsError(error).message}`,
        );
        return undefined;
      })
      .finally(() => this.#inFlight.delete(register));
    this.#inFlight.set(register, trip);
    return trip;
  }

  async #write(request: RequestFrame, central: string): Promise<Uint8Array | undefined> {
    const what = `write 0x${hex(request.register)} ${toHex(request.data)}`;
    if (!this.#options.allowControl) {
      this.#logRefusal(`central ${central} ${what} refused: control is disabled (--allow-control)`);
      return encodeResponse(request.register, STATUS_OPERATION_ERROR, new Uint8Array(0));
    }
    // whatever the battery holds may change: nothing forwarded before the write is served again
    this.#cache.clear();
    this.#ctx.logger.info(`${this.#options.label}: central ${central} ${what} accepted, writing`);
    try {
      const { reply, after } = await this.#ctx.writeThrough(request);
      const fets = fetStates(after);
      const status =
        reply.kind === "error_reply" ? `refused by the BMS (status 0x${hex(reply.status)})` : "acknowledged";
      const line = `${this.#options.label}: central ${central} ${what} ${status}; read back: charge FET ${fets.charge}, discharge FET ${fets.discharge}${confirmation(request, reply, after)}`;
      this.#ctx.logger.info(line);
      return reply.bytes;
    } catch (error) {
      this.#ctx.logger.warn(
        `${this.#options.label}: central ${central} ${what} failed: ${toBmsError(error).message}`,
      );
      return undefined;
    }
  }

  /** A flood of refused writes must not flood the log: one line per REFUSAL_LOG_MS, with a count. */
  #logRefusal(line: string): void {
    const now = this.#ctx.clock.now();
    if (this.#refusalLoggedAt !== undefined && now - this.#refusalLoggedAt < REFUSAL_LOG_MS) {
      this.#refusalsUnlogged++;
      return;
    }
    const more = this.#refusalsUnlogged > 0 ? ` (${this.#refusalsUnlogged} more refused before this)` : "";
    this.#ctx.logger.warn(`${this.#options.label}: ${line}${more}`);
    this.#refusalLoggedAt = now;
    this.#refusalsUnlogged = 0;
  }
}

const REFUSAL_LOG_MS = 10_000;

/** 0xE1 is confirmed when the read-back shows each FET as the mask asks (bit set = forced off). */
function confirmation(request: RequestFrame, reply: ResponseFrame, after: ReadbackFets): string {
  if (request.register !== REGISTER.mosfetControl || reply.kind === "error_reply") return "";
  const mask = request.data[1] ?? 0;
  const wanted = (field: FetField): FetState => ((mask & FET_FIELDS[field]) !== 0 ? "OFF" : "ON");
  const fields: FetField[] = ["charge", "discharge"];
  const confirmed = fields.every((field) => isConfirmed({ field, state: wanted(field) }, after));
  return confirmed ? " (confirmed)" : " (NOT confirmed: a protection may hold a FET off)";
}

function hex(value: number): string {
  return value.toString(16).padStart(2, "0").toUpperCase();
}
