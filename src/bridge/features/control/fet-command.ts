/**
 * Guarded MOSFET control, the pure part: what a `<prefix>/battery/<id>/set/<field>` message asks for,
 * which 0xE1 mask fulfils it without releasing the other FET, and whether a read-back confirms it.
 *
 * docs/protocol.md §7: `DD 5A E1 02 00 XX`, XX bit0 = 1 forces the charge FET off, bit1 = 1 the discharge FET.
 * The BMS does not report the mask it holds; docs/protocol.md §3 gives the FET byte (bit0 charge on, bit1
 * discharge on) and protection bit 12 ("MOSFET software lock"), set while any FET is forced off. So a FET
 * counts as forced off when the lock bit is set and that FET is off. A FET that is off without the lock
 * bit is off because of a protection, and writing a 1 for it would turn a self-healing protection into a
 * latched lock: it is left 0.
 */

/** The `set/` leaves that command a FET, and the 0xE1 bit each forces off. */
export const FET_FIELDS = { charge: 0b01, discharge: 0b10 } as const;

export type FetField = keyof typeof FET_FIELDS;
export type FetState = "ON" | "OFF";

/** docs/protocol.md §3 "Protection bits": bit 12 = MOSFET software lock. */
export const SOFTWARE_LOCK_BIT = 12;

/** The set/ leaf the bridge publishes results on; never a command. */
export const RESULT_LEAF = "result";

/** A valid command, with whatever the sender said about itself. */
export interface FetCommand {
  field: FetField;
  state: FetState;
  /** The JSON payload's `requested_by`, when given. */
  requestedBy?: string;
}

export type ParsedCommand = { ok: true; command: FetCommand } | { ok: false; reason: string };

const isFetField = (leaf: string): leaf is FetField => Object.hasOwn(FET_FIELDS, leaf);

function parseState(value: unknown): FetState | undefined {
  if (typeof value !== "string") return undefined;
  const upper = value.trim().toUpperCase();
  return upper === "ON" || upper === "OFF" ? upper : undefined;
}

/**
 * `ON`/`OFF` (any case, surrounding blanks ignored), or JSON `{ "state": "OFF", "requested_by": "…" }`.
 * Anything else is refused with a reason a user can act on.
 */
export function parseFetCommand(leaf: string, payload: string): ParsedCommand {
  if (!isFetField(leaf)) {
    return { ok: false, reason: `unknown control "${leaf}" (use set/charge or set/discharge)` };
  }
  const plain = parseState(payload);
  if (plain) return { ok: true, command: { field: leaf, state: plain } };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, reason: `payload ${JSON.stringify(truncate(payload))} is not ON, OFF or JSON` };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { ok: false, reason: `payload ${JSON.stringify(truncate(payload))} is not ON, OFF or JSON` };
  }
  const body = json as { state?: unknown; requested_by?: unknown };
  const state = parseState(body.state);
  if (!state) return { ok: false, reason: 'JSON payload needs "state": "ON" or "OFF"' };
  const command: FetCommand = { field: leaf, state };
  if (typeof body.requested_by === "string" && body.requested_by.trim() !== "")
    command.requestedBy = truncate(body.requested_by.trim());
  return { ok: true, command };
}

function truncate(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** The FET facts one 0x03 reply gives (docs/protocol.md §3). */
export interface FetSnapshot {
  fetRaw: number;
  protectionRaw: number;
}

const isOn = (snapshot: FetSnapshot, field: FetField): boolean => (snapshot.fetRaw & FET_FIELDS[field]) !== 0;

/** The forced-off mask the BMS most likely holds now (see the module comment). */
export function currentForcedOffMask(snapshot: FetSnapshot): number {
  if ((snapshot.protectionRaw & (1 << SOFTWARE_LOCK_BIT)) === 0) return 0;
  let mask = 0;
  for (const [field, bit] of Object.entries(FET_FIELDS)) if (!isOn(snapshot, field as FetField)) mask |= bit;
  return mask;
}

/** The 0xE1 mask for a command: the current forced state with only the commanded FET changed. */
export function maskFor(command: FetCommand, snapshot: FetSnapshot): number {
  const bit = FET_FIELDS[command.field];
  const current = currentForcedOffMask(snapshot);
  return command.state === "OFF" ? current | bit : current & ~bit;
}

/** ON/OFF of both FETs as a 0x03 FET byte says. */
export function fetStates(snapshot: FetSnapshot): Record<FetField, FetState> {
  return {
    charge: isOn(snapshot, "charge") ? "ON" : "OFF",
    discharge: isOn(snapshot, "discharge") ? "ON" : "OFF",
  };
}

/** Whether the read-back shows the commanded FET in the commanded state. */
export function isConfirmed(command: FetCommand, after: FetSnapshot): boolean {
  return fetStates(after)[command.field] === command.state;
}
