/**
 * What this bridge knows about the other bridges of its site and their batteries, read from the broker's
 * retained state (site-feature.ts feeds it): each bridge's `<prefix>/bridge/<id>/state` and `/info`, each
 * remote battery's `<prefix>/battery/<id>/availability`, `/status` and, with energy counters on,
 * `/energy/<field>` (the bank energy total counts them). PURE (no MQTT, no clock).
 *
 * It answers three questions (docs/mqtt.md "Several bridges on one site"):
 * - who publishes the site bank (the election: `bankPublisher`; `publishingBank` once this bridge, elected,
 *   has also read the other bridges' batteries: only the elected bridge subscribes to them);
 * - which remote batteries count in it (online, with a status, read by a bridge that is online), each once:
 *   a battery this bridge reads itself is never also counted from the broker;
 * - whether another bridge claims one of this bridge's battery ids (a collision, reported, never shared).
 * A view that was never fed (one bridge, or a test without a broker) says: no other bridge, this one
 * publishes the bank, no remote battery — exactly a lone bridge's behaviour.
 */
import type { BankMode } from "../../config/schema.js";
import type { BankMember } from "../state/bank.js";
import { parseRemoteStatus, type RemoteStatus } from "./remote-status.js";

export interface SiteBridge {
  online: boolean;
  bank: BankMode;
  /** The batteries it says it reads (`info`). */
  batteries: readonly string[];
}

interface RemoteBattery {
  availability: "online" | "offline" | undefined;
  /** The raw status payload, parsed only when the bank needs it (the leader), then cached. */
  raw: Buffer | undefined;
  parsed: RemoteStatus | undefined;
  /** When this bridge received the status (its own clock, ms). */
  receivedAt: number;
  /** Its energy counters as retained (`<prefix>/battery/<id>/energy/<field>`): field → value. */
  energy: Map<string, number> | undefined;
}

export interface Collision {
  batteryId: string;
  /** The other bridge (or "?" when its status does not say). */
  bridgeId: string;
  address: string | undefined;
}

export class SiteView {
  readonly selfId: string;
  readonly selfBank: BankMode;
  readonly #bridges = new Map<string, SiteBridge>();
  readonly #remote = new Map<string, RemoteBattery>();
  readonly #collisions = new Map<string, Collision>();
  /** Own battery ids: never counted from the broker. */
  readonly #own: ReadonlySet<string>;
  /** False until the broker's retained state was read once (site-feature.ts); undefined = no broker feed. */
  #settled: boolean | undefined;
  /** False until the other bridges' batteries were read (subscribed, round trip done); undefined = no feed. */
  #remoteRead: boolean | undefined;

  constructor(selfId: string, selfBank: BankMode, ownBatteryIds: readonly string[]) {
    this.selfId = selfId;
    this.selfBank = selfBank;
    this.#own = new Set(ownBatteryIds);
  }

  /** A broker feed is attached: the election waits until `settle()` (the retained state was read). */
  expectFeed(): void {
    this.#settled ??= false;
    this.#remoteRead ??= false;
  }

  settle(): void {
    this.#settled = true;
  }

  /** `<prefix>/bridge/<id>/state`: `online`, `offline`, or "" (cleared). True when its online-ness changed. */
  bridgeState(bridgeId: string, payload: string): boolean {
    if (bridgeId === this.selfId) return false;
    const bridge = this.#bridge(bridgeId);
    const online = payload === "online";
    if (bridge.online === online) return false;
    bridge.online = online;
    return true;
  }

  bridgeInfo(bridgeId: string, info: { bank?: unknown; batteries?: unknown }): void {
    if (bridgeId === this.selfId) return;
    const bridge = this.#bridge(bridgeId);
    if (info.bank === "auto" || info.bank === "always" || info.bank === "off") bridge.bank = info.bank;
    if (Array.isArray(info.batteries))
      bridge.batteries = info.batteries.filter((b): b is string => typeof b === "string");
  }

  /** True when a remote battery's availability changed. */
  availability(batteryId: string, payload: string): boolean {
    if (this.#own.has(batteryId)) return false;
    const state = payload === "online" ? "online" : payload === "offline" ? "offline" : undefined;
    const battery = this.#battery(batteryId);
    if (battery.availability === state) return false;
    battery.availability = state;
    return true;
  }

  /**
   * `<prefix>/battery/<id>/status`. Own ids: a status another bridge published is a collision (returned,
   * once per other bridge). Remote ids: kept raw, parsed when counted.
   */
  status(batteryId: string, payload: Buffer, receivedAt: number): Collision | undefined {
    if (this.#own.has(batteryId)) return this.#checkCollision(batteryId, payload);
    const battery = this.#battery(batteryId);
    battery.raw = payload.length > 0 ? payload : undefined;
    battery.parsed = undefined;
    battery.receivedAt = receivedAt;
    return undefined;
  }

  /** `<prefix>/battery/<id>/energy/<field>` of a remote battery; "" (cleared) or not a number forgets it. */
  energy(batteryId: string, field: string, payload: string): void {
    if (this.#own.has(batteryId)) return;
    const battery = this.#battery(batteryId);
    const value = payload === "" ? Number.NaN : Number(payload);
    if (!Number.isFinite(value)) {
      battery.energy?.delete(field);
      return;
    }
    battery.energy ??= new Map();
    battery.energy.set(field, value);
  }

  /**
   * The energy counters of the remote batteries the bank knows of (`remoteIds`: online or not, since a
   * counter stays true after its battery went offline): battery id → field → value.
   */
  remoteEnergy(): Map<string, ReadonlyMap<string, number>> {
    const counters = new Map<string, ReadonlyMap<string, number>>();
    for (const [id, battery] of this.#remote)
      if (battery.energy !== undefined && SiteView.#known(battery)) counters.set(id, battery.energy);
    return counters;
  }

  /** Whether this bridge publishes the site bank now (docs/mqtt.md "Who publishes the bank"). */
  get bankPublisher(): boolean {
    if (this.selfBank === "off" || this.#settled === false) return false;
    if (this.selfBank === "always") return true;
    const online = [...this.#bridges].filter(([, b]) => b.online);
    if (online.some(([, b]) => b.bank === "always")) return false;
    return online.every(([id, b]) => b.bank === "off" || id > this.selfId);
  }

  /**
   * Whether this bridge publishes the bank now: elected, and the other bridges' batteries were read (the
   * retained statuses of a fresh subscription arrived), so no bank of a partial site counts as complete.
   */
  get publishingBank(): boolean {
    return this.bankPublisher && this.#remoteRead !== false;
  }

  /** The other bridges' batteries have been read: their retained availability and status arrived. */
  remoteRead(): void {
    this.#remoteRead = true;
  }

  /**
   * No longer reading the other bridges' batteries (not elected: unsubscribed): forget them, since what
   * is known would go stale, and wait for a fresh read before publishing a bank again.
   */
  forgetRemote(): void {
    this.#remote.clear();
    if (this.#remoteRead !== undefined) this.#remoteRead = false;
  }

  /** Whether any other bridge of the site was ever heard of (its state or info), online or not. */
  get knowsOtherBridges(): boolean {
    return this.#bridges.size > 0;
  }

  /** Whether another online bridge would publish the bank if this one stopped. */
  get successorOnline(): boolean {
    return [...this.#bridges.values()].some((b) => b.online && b.bank !== "off");
  }

  get otherBridgesOnline(): string[] {
    return [...this.#bridges].filter(([, b]) => b.online).map(([id]) => id);
  }

  /** Remote batteries known (counting or not), in the order first heard of. */
  remoteIds(): string[] {
    return [...this.#remote].filter(([, b]) => SiteView.#known(b)).map(([id]) => id);
  }

  /** A remote battery of the site: its availability or status was heard (energy alone does not make one). */
  static #known(battery: RemoteBattery): boolean {
    return battery.availability !== undefined || battery.raw !== undefined;
  }

  /** Remote batteries that count in the bank: online, a valid status, and read by a bridge that is online. */
  remoteMembers(): Map<string, BankMember> {
    const members = new Map<string, BankMember>();
    for (const [id, battery] of this.#remote) {
      if (battery.availability !== "online") continue;
      const status = this.#parsed(battery);
      if (status === undefined) continue;
      if (status.bridgeId !== undefined && this.#bridges.get(status.bridgeId)?.online === false) continue;
      members.set(id, { time: battery.receivedAt, values: status.values });
    }
    return members;
  }

  /** Remote batteries a bridge reads (its info, or its last statuses): what to mark offline when it dies. */
  batteriesOf(bridgeId: string): string[] {
    const listed = new Set(this.#bridges.get(bridgeId)?.batteries ?? []);
    for (const [id, battery] of this.#remote)
      if (this.#parsed(battery)?.bridgeId === bridgeId) listed.add(id);
    return [...listed].filter((id) => !this.#own.has(id));
  }

  get collisions(): Collision[] {
    return [...this.#collisions.values()];
  }

  #checkCollision(batteryId: string, payload: Buffer): Collision | undefined {
    // the echo of this bridge's own status is the common case: recognise it without parsing
    if (payload.length === 0 || payload.includes(`"bridge":${JSON.stringify(this.selfId)}`)) return undefined;
    const parsed = parseRemoteStatus(payload);
    const bridgeId = parsed?.bridgeId ?? "?";
    const key = `${batteryId}\u0000${bridgeId}`;
    if (this.#collisions.has(key)) return undefined;
    const collision = { batteryId, bridgeId, address: parsed?.address };
    this.#collisions.set(key, collision);
    return collision;
  }

  #parsed(battery: RemoteBattery): RemoteStatus | undefined {
    if (battery.parsed === undefined && battery.raw !== undefined)
      battery.parsed = parseRemoteStatus(battery.raw);
    return battery.parsed;
  }

  #bridge(bridgeId: string): SiteBridge {
    let bridge = this.#bridges.get(bridgeId);
    if (!bridge) {
      bridge = { online: false, bank: "auto", batteries: [] };
      this.#bridges.set(bridgeId, bridge);
    }
    return bridge;
  }

  #battery(batteryId: string): RemoteBattery {
    let battery = this.#remote.get(batteryId);
    if (!battery) {
      battery = {
        availability: undefined,
        raw: undefined,
        parsed: undefined,
        receivedAt: 0,
        energy: undefined,
      };
      this.#remote.set(batteryId, battery);
    }
    return battery;
  }
}
