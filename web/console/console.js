// The console page: loads the batteries, their history and the scenario names, then follows the
// server-sent events. Every control sends a PATCH; a refused one (400) is shown with the field it names.

import { createCard, h } from "./card.js";
import { createControls } from "./controls.js";

const token = new URLSearchParams(location.search).get("token");
const withToken = (path) =>
  token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;

const linkState = document.getElementById("link-state");
const problem = document.getElementById("problem");
const main = document.getElementById("batteries");
/** n → { card, controls, history } */
const views = new Map();

async function getJson(path) {
  const response = await fetch(withToken(path), { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function showProblem(text) {
  problem.textContent = text;
  problem.hidden = !text;
}

async function patch(n, body) {
  const response = await fetch(withToken(`/api/batteries/${n}`), {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) {
    showProblem(`Battery ${n}: ${answer.field ? `${answer.field} ` : ""}${answer.error}`);
    return;
  }
  showProblem("");
  render(answer);
}

function render(state) {
  const view = views.get(state.n);
  if (!view) return;
  view.card.update(state);
  view.controls.update(state);
}

function addBattery(state, history, scenarios) {
  const card = createCard(state);
  const controls = createControls(state, scenarios, (body) => {
    patch(state.n, body).catch((error) => showProblem(String(error)));
  });
  card.element.append(controls.element);
  if (views.size >= 2) controls.element.open = false;
  main.append(card.element);
  const view = { card, controls, history };
  views.set(state.n, view);
  card.drawHistory(history);
}

function follow() {
  const events = new EventSource(withToken("/api/events"));
  events.addEventListener("open", () => {
    linkState.textContent = "live";
    linkState.dataset.state = "live";
  });
  events.addEventListener("error", () => {
    linkState.textContent = "reconnecting…";
    linkState.dataset.state = "down";
  });
  events.addEventListener("update", (event) => {
    const update = JSON.parse(event.data);
    update.batteries.forEach((state, i) => {
      render(state);
      const sample = update.samples?.[i];
      const view = views.get(state.n);
      if (!sample || !view) return;
      view.history.push(sample);
      if (view.history.length > 600) view.history.shift();
      view.card.drawHistory(view.history);
    });
    document.body.dataset.updates = String(Number(document.body.dataset.updates ?? 0) + 1);
  });
}

async function start() {
  const [batteries, scenarios] = await Promise.all([getJson("/api/batteries"), getJson("/api/scenarios")]);
  const histories = await Promise.all(batteries.map((b) => getJson(`/api/batteries/${b.n}/history`)));
  if (batteries.length === 0) main.append(h("p", { text: "No batteries." }));
  main.classList.toggle("single", batteries.length === 1);
  batteries.forEach((state, i) => {
    addBattery(state, histories[i], scenarios);
  });
  follow();
}

start().catch((error) => showProblem(`The console could not load: ${error.message}`));
