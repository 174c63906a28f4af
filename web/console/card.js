// One battery's card: what its BMS reports (built once, then updated in place on every event) and the
// chart. The controls are in controls.js.

import { createChart, drawChart } from "./chart.js";

/** Cell bars span the LiFePO4 window: 2.50 V (empty, under-voltage) to 3.65 V (over-voltage). */
const CELL_MIN_MV = 2500;
const CELL_MAX_MV = 3650;
const CHART_WINDOW_MS = 10 * 60 * 1000;

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children);
  return node;
}

function metric(label, unitText) {
  const value = h("span", { class: "value" });
  const unit = h("span", { class: "unit", text: unitText });
  const box = h("div", { class: "metric" }, h("span", { class: "label", text: label }), value, unit);
  return { box, value, unit };
}

function duration(seconds) {
  const s = Math.floor(seconds);
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  return `${hh}h${mm}m${String(s % 60).padStart(2, "0")}s`;
}

const signed = (v, digits) => `${v > 0 ? "+" : ""}${v.toFixed(digits)}`;
const words = (name) => name.replaceAll("_", " ");

function chips(list, items, empty, kind) {
  list.replaceChildren(
    ...(items.length
      ? items.map((text) => h("li", { class: `chip ${kind}`, text }))
      : [h("li", { class: "chip none", text: empty })]),
  );
}

function cellBar(index) {
  const fill = h("span", { class: "fill" });
  const mark = h("span", { class: "mark" });
  const mv = h("span", { class: "mv" });
  const bar = h(
    "li",
    { class: "cell", role: "img" },
    h("span", { class: "tube" }, fill),
    mv,
    h("span", { class: "num", text: `${index + 1}` }),
    mark,
  );
  return { bar, fill, mark, mv };
}

export function createCard(first) {
  const title = h("h2", {});
  const badges = h("p", { class: "badges" });
  const metrics = {
    soc: metric("SoC", "%"),
    voltage: metric("Voltage", "V"),
    current: metric("Current", "A"),
    power: metric("Power", "W"),
    temperature: metric("Temperature", "°C"),
    capacity: metric("Remaining", "Ah"),
    cycles: metric("Cycles", ""),
    spread: metric("Cell spread", "mV"),
  };
  const socBar = h("span", { class: "soc-fill" });
  const soc = h(
    "div",
    {
      class: "soc-bar",
      role: "progressbar",
      "aria-label": "State of charge",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
    },
    socBar,
  );
  const cells = first.cells_mv.map((_, i) => cellBar(i));
  const cellList = h("ol", { class: "cells", "aria-label": "Cell voltages" }, ...cells.map((c) => c.bar));
  const fets = h("ul", { class: "chips", "aria-label": "MOSFETs" });
  const protection = h("ul", { class: "chips", "aria-label": "Protection flags" });
  const faults = h("ul", { class: "chips", "aria-label": "Active faults" });
  const chart = createChart(
    `Battery ${first.n}: voltage, current, SoC and cell spread over the last minutes`,
  );
  const state = h(
    "div",
    { class: "state" },
    h("header", {}, title, badges),
    h("div", { class: "metrics" }, ...Object.values(metrics).map((m) => m.box)),
    soc,
    h("h3", { text: "Cells" }),
    cellList,
    h(
      "div",
      { class: "flags" },
      h("div", {}, h("h3", { text: "MOSFETs" }), fets),
      h("div", {}, h("h3", { text: "Protection" }), protection),
      h("div", {}, h("h3", { text: "Faults" }), faults),
    ),
    h("h3", { text: "Last minutes" }),
    chart,
  );
  const section = h(
    "section",
    { class: "card", id: `battery-${first.n}`, "aria-labelledby": `battery-${first.n}-title` },
    state,
  );
  title.id = `battery-${first.n}-title`;

  function update(b) {
    title.textContent = `#${b.n} ${b.address}`;
    badges.replaceChildren(
      h("span", { class: `badge ${b.online ? "ok" : "bad"}`, text: b.online ? "on" : "switched off" }),
      h("span", { class: "badge", text: b.scenario ?? "default profile" }),
      h("span", { class: "badge", text: `t=${duration(b.time_s)} · ${b.speed}×` }),
      h("span", {
        class: `badge ${b.connected ? "ok" : ""}`,
        text: b.connected ? "client connected" : "no client",
      }),
      ...b.endpoints.map((e) => h("span", { class: "badge dim", text: e })),
    );
    metrics.soc.value.textContent = String(b.soc_pct);
    metrics.voltage.value.textContent = b.voltage_v.toFixed(2);
    metrics.current.value.textContent = signed(b.current_a, 2);
    metrics.power.value.textContent = signed(b.power_w, 1);
    metrics.temperature.value.textContent = b.temperatures_c.map((t) => t.toFixed(1)).join(" / ") || "—";
    metrics.capacity.value.textContent = b.remaining_ah.toFixed(1);
    metrics.capacity.unit.textContent = `Ah of ${b.nominal_ah}`;
    metrics.cycles.value.textContent = String(b.cycles);
    metrics.spread.value.textContent = String(b.spread_mv);
    metrics.spread.unit.textContent = `mV · ${b.health}`;
    metrics.spread.box.dataset.health = b.health;
    socBar.style.width = `${Math.max(0, Math.min(100, b.soc_pct))}%`;
    soc.setAttribute("aria-valuenow", String(b.soc_pct));
    soc.dataset.level = b.soc_pct <= 10 ? "low" : b.soc_pct <= 25 ? "mid" : "ok";
    b.cells_mv.forEach((mv, i) => {
      const cell = cells[i];
      if (!cell) return;
      const share = (mv - CELL_MIN_MV) / (CELL_MAX_MV - CELL_MIN_MV);
      cell.fill.style.height = `${Math.max(2, Math.min(100, share * 100))}%`;
      cell.mv.textContent = (mv / 1000).toFixed(3);
      const marks = [];
      if (b.balancing[i]) marks.push("balancing");
      if (i + 1 === b.min_cell && b.spread_mv > 0) marks.push("lowest");
      if (i + 1 === b.max_cell && b.spread_mv > 0) marks.push("highest");
      cell.bar.className = `cell ${marks.join(" ")}`;
      cell.mark.textContent = marks
        .map((m) => ({ balancing: "⚖", lowest: "min", highest: "max" })[m])
        .join(" ");
      const offset = b.cell_offset_mv[i] ? `, offset ${signed(b.cell_offset_mv[i], 0)} mV` : "";
      cell.bar.setAttribute(
        "aria-label",
        `Cell ${i + 1}: ${mv} mV${marks.length ? `, ${marks.join(", ")}` : ""}${offset}`,
      );
    });
    const fet = (name, on, forced) => `${name} ${on ? "on" : "off"}${forced ? " (forced off)" : ""}`;
    fets.replaceChildren(
      h("li", {
        class: `chip ${b.charge_fet ? "on" : "off"}`,
        text: fet("charge", b.charge_fet, b.charge_fet_forced_off),
      }),
      h("li", {
        class: `chip ${b.discharge_fet ? "on" : "off"}`,
        text: fet("discharge", b.discharge_fet, b.discharge_fet_forced_off),
      }),
    );
    chips(protection, b.protection.map(words), "none", "alarm");
    chips(faults, b.faults, "none", "fault");
  }

  update(first);
  return {
    element: section,
    update,
    drawHistory: (samples) => drawChart(chart, samples, CHART_WINDOW_MS),
  };
}
