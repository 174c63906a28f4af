/**
 * Request/response over one Link. One request in flight at a time; each reply is matched to the
 * register asked for. Everything else the link delivers is dropped and counted, never used:
 * - our own request echoed back (RS485 adapters echo what they transmit),
 * - a reply for another register, a duplicate, a late reply to a request that already timed out,
 * - BLE-module `FF AA` frames and bytes the assembler rejected (bad checksum, junk).
 * A lost reply or an error status is retried; timeouts grow per attempt (aiobmsble does the same:
 * docs/background.md §5), bounded.
 *
 * The client READS; the one write it builds itself is 0xE1 MOSFET control (docs/protocol.md §7), used only by
 * the guarded control feature when the bridge runs with --allow-control (src/bridge/features/control/).
 * exchange() passes on a request the mirror's phone app made (src/bridge/features/mirror/); the mirror
 * lets a write through only with --allow-control too.
 */

import { CONFIG_DEFAULTS } from "../../config/defaults.js";
import { BmsError, isBmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import { FrameAssembler } from "../../protocol/assembler.js";
import { toHex } from "../../protocol/bytes.js";
import { encodeReadRequest, encodeWriteRequest } from "../../protocol/frame.js";
import { type BasicInfo, decodeBasicInfo } from "../../protocol/registers/basic-info.js";
import { type CellVoltages, decodeCellVoltages } from "../../protocol/registers/cell-voltages.js";
import { decodeHardwareVersion } from "../../protocol/registers/hardware-version.js";
import { REGISTER } from "../../protocol/registers/index.js";
import { describeStatus } from "../../protocol/status.js";
import type { AssemblerItem, Decoded, RequestFrame, ResponseFrame } from "../../protocol/types.js";
import type { Link } from "../../transport/types.js";
import type { Clock } from "../../util/clock.js";

export interface ClientOptions {
  /** Reply timeout of the first attempt (ms). */
  timeoutMs: number;
  /** Attempts per request, including the first. */
  attempts: number;
  /** Each retry waits this many times longer than the previous attempt… */
  timeoutGrowth: number;
  /** …but never longer than this (ms). */
  maxTimeoutMs: number;
}

const { requestTimeoutS, requestAttempts } = CONFIG_DEFAULTS.bridge;

/** The configuration's request defaults (`request_timeout`, `request_attempts`); retries wait up to 4×. */
export const DEFAULT_CLIENT_OPTIONS: ClientOptions = {
  timeoutMs: requestTimeoutS * 1000,
  attempts: requestAttempts,
  timeoutGrowth: 1.5,
  maxTimeoutMs: 4 * requestTimeoutS * 1000,
};

/** Why incoming items were not used, for diagnostics and tests. */
export interface DroppedCounts {
  echo: number;
  unexpected: number;
  module: number;
  invalid: number;
}

interface Pending {
  register: number;
  /** The error reply is the answer (exchange()), not a failure. */
  acceptErrorReply: boolean;
  resolve(frame: ResponseFrame): void;
  reject(error: BmsError): void;
}

export interface ClientContext {
  clock: Clock;
  logger: Logger;
}

export class BmsClient {
  readonly #link: Link;
  readonly #ctx: ClientContext;
  readonly #options: ClientOptions;
  readonly #assembler = new FrameAssembler();
  readonly #unsubscribe: Array<() => void>;
  #pending: Pending | undefined;
  /** Serialises requests: each starts after the previous settled. */
  #queue: Promise<unknown> = Promise.resolve();
  #closedError: BmsError | undefined;
  readonly dropped: DroppedCounts = { echo: 0, unexpected: 0, module: 0, invalid: 0 };
  /** Attempts that ended in a timeout (a read that succeeded on retry still counts its timeouts). */
  timeouts = 0;

  constructor(link: Link, ctx: ClientContext, options: Partial<ClientOptions> = {}) {
    this.#link = link;
    this.#ctx = ctx;
    this.#options = { ...DEFAULT_CLIENT_OPTIONS, ...options };
    this.#unsubscribe = [
      link.onData((chunk) => this.#onData(chunk)),
      link.onClose((error) => this.#onClose(error)),
    ];
  }

  get address(): string {
    return this.#link.address;
  }

  /** Reads one register; resolves with the matching response frame (status 0). */
  read(register: number): Promise<ResponseFrame> {
    return this.#enqueue(register, encodeReadRequest(register));
  }

  /**
   * Writes the 0xE1 forced-off mask (docs/protocol.md §7: `DD 5A E1 02 00 XX`, bit0 charge, bit1 discharge)
   * and resolves with the acknowledgement. Queued behind any read in progress, like every request.
   * Retrying is safe: the write sets the mask, it does not toggle it.
   */
  writeMosfetControl(forcedOffMask: number): Promise<ResponseFrame> {
    const data = Uint8Array.of(0x00, forcedOffMask & 0b11);
    return this.#enqueue(REGISTER_MOSFET_CONTROL, encodeWriteRequest(REGISTER_MOSFET_CONTROL, data));
  }

  /**
   * Sends one request on someone else's behalf (the mirror's phone app) and resolves with the BMS's
   * answer as it came, an error reply included: that answer is what the asker must see, so an error
   * status is not retried. A lost or garbled reply is, as for every request.
   */
  exchange(request: Pick<RequestFrame, "op" | "register" | "data">): Promise<ResponseFrame> {
    const bytes =
      request.op === "read"
        ? encodeReadRequest(request.register)
        : encodeWriteRequest(request.register, request.data);
    return this.#enqueue(request.register, bytes, true);
  }

  #enqueue(register: number, request: Uint8Array, acceptErrorReply = false): Promise<ResponseFrame> {
    const run = this.#queue.then(() => this.#sendWithRetries(register, request, acceptErrorReply));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async readBasicInfo(): Promise<BasicInfo> {
    return this.#decode(REGISTER.basicInfo, decodeBasicInfo);
  }

  async readCellVoltages(): Promise<CellVoltages> {
    return this.#decode(REGISTER.cellVoltages, decodeCellVoltages);
  }

  /** 0x05 model string (docs/protocol.md §5). */
  async readModel(): Promise<string> {
    return (await this.#decode(REGISTER.hardwareVersion, decodeHardwareVersion)).text;
  }

  /** Stops listening to the link (the link itself belongs to the caller). */
  dispose(): void {
    for (const off of this.#unsubscribe) off();
    this.#fail(new BmsError("CANCELED", `${this.address}: client disposed`, { address: this.address }));
  }

  async #decode<T>(register: number, decode: (data: Uint8Array) => Decoded<T>): Promise<T> {
    const frame = await this.read(register);
    const decoded = decode(frame.data);
    if (!decoded.ok) {
      throw new BmsError("DECODE_INVALID", `${this.address}: ${decoded.error.message}`, {
        address: this.address,
        register,
        frame: toHex(frame.bytes),
      });
    }
    return decoded.value;
  }

  async #sendWithRetries(
    register: number,
    request: Uint8Array,
    acceptErrorReply: boolean,
  ): Promise<ResponseFrame> {
    let timeoutMs = this.#options.timeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(register, request, timeoutMs, acceptErrorReply);
      } catch (error) {
        // a lost or garbled reply and an error status are worth another try: the BMS may just have been busy
        const retryable =
          isBmsError(error, "TIMEOUT") || isBmsError(error, "BAD_FRAMES") || isBmsError(error, "BMS_STATUS");
        if (!retryable || attempt >= this.#options.attempts) throw error;
        this.#ctx.logger.debug(
          () => `${this.address}: 0x${hexByte(register)} attempt ${attempt}: ${error.message}`,
        );
        // only a timeout suggests a slow link, so only a timeout makes the next wait longer
        if (error.code !== "BMS_STATUS") {
          timeoutMs = Math.min(
            this.#options.maxTimeoutMs,
            Math.round(timeoutMs * this.#options.timeoutGrowth),
          );
        }
      }
    }
  }

  #attempt(
    register: number,
    request: Uint8Array,
    timeoutMs: number,
    acceptErrorReply: boolean,
  ): Promise<ResponseFrame> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    // Bytes of an abandoned earlier reply must not be glued to this one (docs/background.md §7 bug 12).
    this.#assembler.reset();
    return new Promise<ResponseFrame>((resolve, reject) => {
      const invalidBefore = this.dropped.invalid;
      // the timer is set before anything can settle the request: replies and write errors come later
      const timer = this.#ctx.clock.setTimeout(() => {
        this.timeouts++;
        // bytes came but none made a valid frame: a garbled reply, not a silent battery
        const bad = this.dropped.invalid - invalidBefore;
        const context = { address: this.address, register, timeoutMs };
        pending.reject(
          bad > 0
            ? new BmsError(
                "BAD_FRAMES",
                `${this.address}: only bad frames (${bad}) in reply to 0x${hexByte(register)} within ${timeoutMs} ms`,
                { ...context, badFrames: bad },
              )
            : new BmsError(
                "TIMEOUT",
                `${this.address}: no reply to 0x${hexByte(register)} within ${timeoutMs} ms`,
                context,
              ),
        );
      }, timeoutMs);
      const settle = (): void => {
        this.#ctx.clock.clearTimeout(timer);
        this.#pending = undefined;
      };
      const pending: Pending = {
        register,
        acceptErrorReply,
        resolve: (frame) => {
          settle();
          resolve(frame);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.#pending = pending;
      this.#link.write(request).catch((error: unknown) => {
        pending.reject(isBmsError(error) ? error : new BmsError("DISCONNECTED", String(error)));
      });
    });
  }

  #onData(chunk: Uint8Array): void {
    for (const item of this.#assembler.push(chunk)) this.#onItem(item);
  }

  #onItem(item: AssemblerItem): void {
    switch (item.kind) {
      case "request":
        this.dropped.echo++;
        return;
      case "module":
        this.dropped.module++;
        return;
      case "invalid":
        this.dropped.invalid++;
        this.#ctx.logger.debug(() => `${this.address}: dropped ${item.error} bytes ${toHex(item.bytes)}`);
        return;
      default:
        this.#onResponse(item);
    }
  }

  #onResponse(frame: ResponseFrame): void {
    const pending = this.#pending;
    if (!pending || frame.register !== pending.register) {
      this.dropped.unexpected++;
      this.#ctx.logger.debug(() => `${this.address}: dropped unexpected reply ${toHex(frame.bytes)}`);
      return;
    }
    if (frame.kind === "error_reply" && !pending.acceptErrorReply) {
      const status = describeStatus(frame.status);
      pending.reject(
        new BmsError(
          "BMS_STATUS",
          `${this.address}: 0x${hexByte(frame.register)} refused: ${status.meaning}`,
          {
            address: this.address,
            register: frame.register,
            status: frame.status,
            statusName: status.name,
          },
        ),
      );
      return;
    }
    pending.resolve(frame);
  }

  #onClose(error: BmsError | undefined): void {
    this.#fail(
      error ?? new BmsError("DISCONNECTED", `${this.address}: link closed`, { address: this.address }),
    );
  }

  #fail(error: BmsError): void {
    this.#closedError ??= error;
    this.#pending?.reject(error);
  }
}

/** docs/protocol.md §7: MOSFET control. */
const REGISTER_MOSFET_CONTROL = 0xe1;

function hexByte(value: number): string {
  return value.toString(16).padStart(2, "0").toUpperCase();
}
