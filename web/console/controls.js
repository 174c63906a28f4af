// The controls of one battery: one labelled input per PATCH field. Sliders send while they are dragged
// (at most every 150 ms) and when released; a control the user is working on is not overwritten by the
// live updates.

import { h } from "./card.js";

const SEND_EVERY_MS = 150;
const HOLD_MS = 1500;
const SPEEDS = [0, 1, 10, 60, 600, 3600, 86400];
const FAULT_EXAMPLES = [
  "drop:0.3",
  "delay:2000",
  "corrupt:0.5",
  "error:0x81",
  "disconnect:0.2",
  "stall",
  "reboot,p=0.05",
  "split:7",
];

let uid = 0;

function busyGuard(input) {
  let until = 0;
  const mark = () => {
    until = Date.now() + HOLD_MS;
  };
  for (const event of ["input", "pointerdown", "keydown", "focus"]) input.addEventListener(event, mark);
  return () => Date.now() < until || document.activeElement === input;
}

/** A slider with its number shown; `send(value)` is throttled while dragging. */
function slider(label, { min, max, step, unit }, send) {
  const id = `control-${++uid}`;
  const input = h("input", { id, type: "range", min, max, step });
  const shown = h("output", { for: id });
  let last = 0;
  let timer;
  const fire = () => {
    last = Date.now();
    send(Number(input.value));
  };
  input.addEventListener("input", () => {
    shown.textContent = `${input.value} ${unit}`;
    clearTimeout(timer);
    const wait = SEND_EVERY_MS - (Date.now() - last);
    if (wait <= 0) fire();
    else timer = setTimeout(fire, wait);
  });
  input.addEventListener("change", () => {
    clearTimeout(timer);
    fire();
  });
  const busy = busyGuard(input);
  const row = h("div", { class: "control" }, h("label", { for: id, text: label }), input, shown);
  return {
    row,
    set(value) {
      if (busy()) return;
      input.value = String(value);
      shown.textContent = `${input.value} ${unit}`;
    },
  };
}

function checkbox(label, send) {
  const id = `control-${++uid}`;
  const input = h("input", { id, type: "checkbox" });
  input.addEventListener("change", () => send(input.checked));
  const busy = busyGuard(input);
  const row = h("div", { class: "control check" }, input, h("label", { for: id, text: label }));
  return {
    row,
    set(value) {
      if (!busy()) input.checked = value;
    },
  };
}

function select(label, options, send) {
  const id = `control-${++uid}`;
  const input = h("select", { id });
  const fill = (values) =>
    input.replaceChildren(...values.map(([value, text]) => h("option", { value, text })));
  fill(options);
  input.addEventListener("change", () => send(input.value));
  const busy = busyGuard(input);
  const row = h("div", { class: "control" }, h("label", { for: id, text: label }), input);
  return {
    row,
    fill,
    set(value) {
      if (busy()) return;
      if (![...input.options].some((o) => o.value === String(value)))
        input.append(h("option", { value, text: String(value) }));
      input.value = String(value);
    },
  };
}

/** A text or number field with a button. */
function field(label, attributes, button, send) {
  const id = `control-${++uid}`;
  const input = h("input", { id, ...attributes });
  const go = h("button", { type: "submit", text: button });
  const form = h("form", { class: "control field" }, h("label", { for: id, text: label }), input, go);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
  });
  return { row: form, input };
}

/** Builds the controls for battery `first.n`; `patch(body)` sends a PATCH. */
export function createControls(first, scenarios, patch) {
  const current = slider(
    "Current (A): + charges, − discharges",
    { min: -300, max: 300, step: 1, unit: "A" },
    (v) => patch({ current_a: v }),
  );
  const soc = slider("State of charge (%)", { min: 0, max: 100, step: 1, unit: "%" }, (v) =>
    patch({ soc_pct: v }),
  );
  const temperature = slider("Temperature (°C)", { min: -30, max: 90, step: 1, unit: "°C" }, (v) =>
    patch({ temperature_c: v }),
  );
  const offsets = first.cells_mv.map((_, i) =>
    slider(`Cell ${i + 1} offset (mV)`, { min: -500, max: 500, step: 5, unit: "mV" }, (v) =>
      patch({ cell_offset_mv: { [i + 1]: v } }),
    ),
  );
  const online = checkbox("Switched on (answers and advertises)", (v) => patch({ online: v }));
  const chargeFet = checkbox("Charge MOSFET allowed (0xE1)", (v) => patch({ charge_fet: v }));
  const dischargeFet = checkbox("Discharge MOSFET allowed (0xE1)", (v) => patch({ discharge_fet: v }));
  const speed = select(
    "Speed (simulated s per s)",
    SPEEDS.map((s) => [s, s === 0 ? "0 (paused)" : `${s}×`]),
    (v) => patch({ speed: Number(v) }),
  );
  const scenarioOptions = [["", "(choose one)"], ...scenarios.map((s) => [s, s])];
  const scenario = select("Scenario (starts the battery over)", scenarioOptions, (v) => {
    if (v) patch({ scenario: v });
  });
  const listId = `faults-${first.n}`;
  const fault = field(
    "Fault (e.g. drop:0.3)",
    { type: "text", list: listId, autocomplete: "off", spellcheck: "false" },
    "Add fault",
    (text) => {
      if (text.trim()) patch({ fault: [...latest.console_faults, text.trim()] });
    },
  );
  const clear = h("button", { type: "button", class: "secondary", text: "Clear console faults" });
  clear.addEventListener("click", () => patch({ fault: null }));
  const cycles = field("Cycle count", { type: "number", min: 0, max: 65535, step: 1 }, "Set", (v) =>
    patch({ cycles: Number(v) }),
  );
  let latest = first;
  const element = h(
    "details",
    { class: "controls", open: true },
    h("summary", { text: `Controls for battery ${first.n}` }),
    h("div", { class: "grid" }, current.row, soc.row, temperature.row, ...offsets.map((o) => o.row)),
    h(
      "div",
      { class: "grid" },
      online.row,
      chargeFet.row,
      dischargeFet.row,
      speed.row,
      scenario.row,
      cycles.row,
    ),
    fault.row,
    h("datalist", { id: listId }, ...FAULT_EXAMPLES.map((value) => h("option", { value }))),
    clear,
  );

  function update(b) {
    latest = b;
    current.set(Math.round(b.demand_a));
    soc.set(b.soc_pct);
    temperature.set(Math.round(b.temperatures_c[0] ?? 25));
    offsets.forEach((o, i) => {
      o.set(b.cell_offset_mv[i] ?? 0);
    });
    online.set(b.online);
    chargeFet.set(!b.charge_fet_forced_off);
    dischargeFet.set(!b.discharge_fet_forced_off);
    speed.set(b.speed);
    if (b.scenario) scenario.set(b.scenario);
    if (document.activeElement !== cycles.input) cycles.input.value = String(b.cycles);
  }
  update(first);
  return { element, update };
}
