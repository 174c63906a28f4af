/**
 * The relay between one endpoint's pty (socat, the "USB side") and its btvirt controller: it owns the
 * controller connection, so the controller (and its address) outlives an unplugged pty, and it is where
 * the lab's field faults and the radio model act:
 * - unplugged: the host side is gone; the controller's links are dropped (the peers see a link loss, as
 *   with a real supervision timeout) and it is reset, so it neither advertises nor scans until a host
 *   plugs in again and initialises it;
 * - frozen: the port stays open but nothing passes either way (a wedged controller); `untilReset` lets an
 *   HCI_Reset from the host through and thaws, like firmware that a reset brings back;
 * - radio: packets are held as radio.ts says.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import {
  connectionCompleteHandle,
  disconnectCommand,
  disconnectionCompleteHandle,
  H4Splitter,
  HCI_RESET_PACKET,
  isAcl,
  isAdvertisingReport,
  isConnectionComplete,
  isResetCommand,
  withAdvertisingRssi,
} from "./h4.js";
import {
  AirSchedule,
  advertisingDelayMs,
  connectionSetupDelayMs,
  type RadioModel,
  type Random,
  reportedRssi,
} from "./radio.js";

/** What a peer sees when an unplugged controller's links drop: Connection Timeout (link supervision). */
const LINK_LOST_REASON = 0x08;

export interface FreezeOptions {
  /** Thaw when the host sends HCI_Reset (and pass the reset on). */
  untilReset?: boolean;
}

export interface EndpointState {
  plugged: boolean;
  frozen: boolean;
  untilReset: boolean;
  radio: RadioModel | undefined;
  /** Packets dropped while frozen or unplugged. */
  dropped: number;
}

/** Packets in order, each released no earlier than asked nor before the one ahead of it. */
class DelayLine {
  readonly #queue: Array<{ at: number; packet: Uint8Array }> = [];
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #deliver: (packet: Uint8Array) => void;

  constructor(deliver: (packet: Uint8Array) => void) {
    this.#deliver = deliver;
  }

  push(packet: Uint8Array, earliest: number): void {
    const at = Math.max(earliest, this.#last);
    this.#last = at;
    if (this.#queue.length === 0 && at <= Date.now()) {
      this.#deliver(packet);
      return;
    }
    this.#queue.push({ at, packet });
    this.#arm();
  }

  clear(): void {
    this.#queue.length = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const head = this.#queue[0];
    if (!head) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const now = Date.now();
        while (this.#queue.length > 0 && (this.#queue[0]?.at ?? 0) <= now) {
          this.#deliver((this.#queue.shift() as { packet: Uint8Array }).packet);
        }
        this.#arm();
      },
      Math.max(0, head.at - Date.now()),
    );
  }
}

export class EndpointRelay {
  readonly socketPath: string;
  readonly #controller: Socket;
  readonly #server: Server;
  readonly #random: Random;
  readonly #links = new Set<number>();
  readonly #fromController = new H4Splitter();
  #fromHost = new H4Splitter();
  #host: Socket | undefined;
  #frozen = false;
  #untilReset = false;
  #radio: RadioModel | undefined;
  #dropped = 0;
  readonly #air = { toHost: new AirSchedule(), toController: new AirSchedule() };
  readonly #toHost = new DelayLine((packet) => this.#host?.write(packet));
  readonly #toController = new DelayLine((packet) => this.#controller.write(packet));

  private constructor(socketPath: string, controller: Socket, server: Server, random: Random) {
    this.socketPath = socketPath;
    this.#controller = controller;
    this.#server = server;
    this.#random = random;
    controller.on("data", (chunk: Buffer) => {
      for (const packet of this.#fromController.push(chunk)) this.#onControllerPacket(packet);
    });
    controller.on("error", () => {});
    controller.on("close", () => this.#host?.destroy());
    server.on("connection", (socket) => this.#plug(socket));
  }

  /** Connects to btvirt (one new controller) and listens for the endpoint's socat on `socketPath`. */
  static async start(btvirtSocket: string, socketPath: string, random: Random = Math.random) {
    const controller = await new Promise<Socket>((resolve, reject) => {
      const socket = connect(btvirtSocket);
      socket.once("connect", () => resolve(socket));
      socket.once("error", reject);
    });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => resolve());
    });
    return new EndpointRelay(socketPath, controller, server, random);
  }

  get state(): EndpointState {
    return {
      plugged: this.#host !== undefined,
      frozen: this.#frozen,
      untilReset: this.#untilReset,
      radio: this.#radio,
      dropped: this.#dropped,
    };
  }

  setRadio(model: RadioModel | undefined): void {
    this.#radio = model;
  }

  freeze(options: FreezeOptions = {}): void {
    this.#frozen = true;
    this.#untilReset = options.untilReset === true;
    this.#toHost.clear();
    this.#toController.clear();
  }

  thaw(): void {
    this.#frozen = false;
    this.#untilReset = false;
  }

  /** The host side went away (its socat was stopped): drop the controller's links and reset it. */
  unplugged(): void {
    this.#host?.destroy();
    this.#host = undefined;
    this.#toHost.clear();
    this.#toController.clear();
    for (const handle of this.#links) this.#controller.write(disconnectCommand(handle, LINK_LOST_REASON));
    this.#controller.write(HCI_RESET_PACKET);
  }

  async close(): Promise<void> {
    this.#toHost.clear();
    this.#toController.clear();
    this.#host?.destroy();
    this.#controller.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #plug(socket: Socket): void {
    this.#host?.destroy();
    this.#host = socket;
    this.#fromHost = new H4Splitter();
    socket.on("data", (chunk: Buffer) => {
      if (this.#host !== socket) return;
      for (const packet of this.#fromHost.push(chunk)) this.#onHostPacket(packet);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.#host === socket) this.unplugged();
    });
  }

  #onHostPacket(packet: Uint8Array): void {
    if (this.#frozen) {
      if (!(this.#untilReset && isResetCommand(packet))) {
        this.#dropped++;
        return;
      }
      this.thaw();
    }
    const radio = this.#radio;
    if (radio && isAcl(packet)) {
      this.#toController.push(packet, this.#air.toController.dataReleaseAt(Date.now(), radio, this.#random));
    } else {
      // commands do not wait behind queued data (controllers keep them apart)
      this.#controller.write(packet);
    }
  }

  #onControllerPacket(packet: Uint8Array): void {
    const opened = connectionCompleteHandle(packet);
    if (opened !== undefined) this.#links.add(opened);
    const closed = disconnectionCompleteHandle(packet);
    if (closed !== undefined) this.#links.delete(closed);
    if (this.#frozen || !this.#host) {
      this.#dropped++;
      return;
    }
    const radio = this.#radio;
    if (!radio) {
      this.#toHost.push(packet, 0);
      return;
    }
    const now = Date.now();
    if (isAcl(packet)) {
      this.#toHost.push(packet, this.#air.toHost.dataReleaseAt(now, radio, this.#random));
    } else if (isAdvertisingReport(packet)) {
      const report = withAdvertisingRssi(packet, reportedRssi(radio, this.#random));
      this.#toHost.push(report, now + advertisingDelayMs(radio, this.#random));
    } else if (isConnectionComplete(packet)) {
      this.#toHost.push(packet, now + connectionSetupDelayMs(radio, this.#random));
    } else {
      this.#toHost.push(packet, now);
    }
  }
}
