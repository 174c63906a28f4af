// The history chart of one battery: pack voltage, current, SoC and cell spread over the last minutes,
// four stacked panels on one time axis, drawn as SVG by hand (no chart library, nothing from the network).

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const PANEL = 52;
const GAP = 14;
const LABEL_X = WIDTH - 4;
const PLOT_RIGHT = WIDTH - 170;

export const SERIES = [
  { key: "voltage_v", name: "Voltage", unit: "V", digits: 2, colour: "#2563eb" },
  { key: "current_a", name: "Current", unit: "A", digits: 1, colour: "#16a34a", zero: true },
  { key: "soc_pct", name: "SoC", unit: "%", digits: 0, colour: "#9333ea", min: 0, max: 100 },
  { key: "spread_mv", name: "Spread", unit: "mV", digits: 0, colour: "#ea580c", min: 0 },
];

const HEIGHT = SERIES.length * (PANEL + GAP) + 16;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** An empty chart; `drawChart` fills it. */
export function createChart(title) {
  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "chart",
    role: "img",
    "aria-label": title,
  });
  return svg;
}

function range(values, series) {
  let lo = series.min ?? Math.min(...values);
  let hi = series.max ?? Math.max(...values);
  if (series.zero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (hi - lo < 1e-9) {
    const pad = Math.max(Math.abs(hi) * 0.01, series.key === "voltage_v" ? 0.05 : 1);
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

function fmt(value, digits) {
  return Number(value).toFixed(digits);
}

/** Redraws `svg` for `samples` ({ t, voltage_v, … }) over the last `windowMs`. */
export function drawChart(svg, samples, windowMs) {
  svg.replaceChildren();
  const now = samples.length ? samples[samples.length - 1].t : Date.now();
  const shown = samples.filter((s) => s.t >= now - windowMs);
  const start = shown.length ? Math.max(shown[0].t, now - windowMs) : now - windowMs;
  const span = Math.max(now - start, 1000);
  const x = (t) => ((t - start) / span) * PLOT_RIGHT;
  SERIES.forEach((series, i) => {
    const top = 8 + i * (PANEL + GAP);
    const values = shown.map((s) => s[series.key]);
    svg.append(el("rect", { x: 0, y: top, width: PLOT_RIGHT, height: PANEL, class: "panel" }));
    if (values.length === 0) return;
    const [lo, hi] = range(values, series);
    const y = (v) => top + PANEL - ((v - lo) / (hi - lo)) * PANEL;
    if (series.zero && lo < 0 && hi > 0)
      svg.append(el("line", { x1: 0, x2: PLOT_RIGHT, y1: y(0), y2: y(0), class: "zero" }));
    const points = shown.map((s) => `${x(s.t).toFixed(1)},${y(s[series.key]).toFixed(1)}`).join(" ");
    svg.append(el("polyline", { points, fill: "none", stroke: series.colour, "stroke-width": 2 }));
    const last = values[values.length - 1];
    svg.append(
      el(
        "text",
        { x: LABEL_X, y: top + 20, class: "reading", fill: series.colour },
        `${fmt(last, series.digits)} ${series.unit}`,
      ),
      el("text", { x: LABEL_X, y: top + 38, class: "series" }, series.name),
      el("text", { x: PLOT_RIGHT + 6, y: top + 11, class: "scale" }, fmt(hi, series.digits)),
      el("text", { x: PLOT_RIGHT + 6, y: top + PANEL, class: "scale" }, fmt(lo, series.digits)),
    );
  });
  const minutes = Math.round(span / 60000);
  const label = minutes >= 1 ? `last ${minutes} min` : `last ${Math.round(span / 1000)} s`;
  svg.append(el("text", { x: 0, y: HEIGHT - 2, class: "scale start" }, label));
  svg.setAttribute("data-samples", String(shown.length));
}
