/**
 * The console over real sockets: `bms-emu --tcp … --console …` as the library runs it. A PATCH is what
 * the project's own JBD client reads next through the emulator's TCP port; bad input is a 400 naming the
 * field; the event stream follows a change at once; a non-loopback console wants its token.
 */
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { connectBattery } from "../../../src/connect.js";
import { type RunningEmulator, startEmulator } from "../../../src/emulator/app.js";
import { type RunningConsole, startEmulatorConsole } from "../../../src/emulator/console/start.js";
import { systemClock } from "../../../src/util/clock.js";

let emulator: RunningEmulator | undefined;
let running: RunningConsole | undefined;
afterEach(async () => {
  await running?.close();
  await emulator?.stop();
  running = undefined;
  emulator = undefined;
});

async function start(host = "127.0.0.1") {
  emulator = await startEmulator({
    count: 2,
    faults: [],
    serve: [{ kind: "tcp", host: "127.0.0.1", port: 0 }],
  });
  running = await startEmulatorConsole(emulator, { host, port: 0, clock: systemClock });
  return { emulator, running, base: `http://127.0.0.1:${running.server.port}` };
}

interface Answer {
  status: number;
  type: string;
  body: string;
  json(): unknown;
}

function http(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += String(d);
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"]),
          body,
          json: () => JSON.parse(body),
        }),
      );
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

const patch = (url: string, body: unknown) =>
  http(url, { method: "PATCH", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

describe("the console API", () => {
  it("serves the page, every battery and one battery", async () => {
    const { base } = await start();
    const page = await http(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.type).toContain("text/html");
    expect(page.body).toContain('<script type="module" src="/console.js">');
    for (const file of [
      "/console.js",
      "/card.js",
      "/controls.js",
      "/chart.js",
      "/console.css",
      "/controls.css",
    ])
      expect((await http(`${base}${file}`)).status).toBe(200);
    const all = (await http(`${base}/api/batteries`)).json() as Array<{ n: number; soc_pct: number }>;
    expect(all.map((b) => [b.n, b.soc_pct])).toEqual([
      [1, 71],
      [2, 67],
    ]);
    expect((await http(`${base}/api/batteries/2`)).json()).toMatchObject({
      n: 2,
      cells_mv: expect.any(Array),
    });
    expect((await http(`${base}/api/batteries/3`)).status).toBe(404);
    expect((await http(`${base}/api/scenarios`)).json()).toContain("imbalance");
  });

  it("PATCH current_a is what the next 0x03 read returns through the emulator's TCP port", async () => {
    const { emulator: emu, base } = await start();
    const answer = await patch(`${base}/api/batteries/1`, { current_a: -50 });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ current_a: -50 });
    const port = emu.served.endpoints[0]?.[0]?.port as number;
    const jbd = await connectBattery(`tcp:127.0.0.1:${port}`);
    try {
      expect((await jbd.client.readBasicInfo()).currentA).toBe(-50);
    } finally {
      await jbd.close();
    }
  });

  it("bad input is a 400 naming the field, and nothing changes", async () => {
    const { base } = await start();
    const before = (await http(`${base}/api/batteries/1`)).json() as { demand_a: number; soc_pct: number };
    const bad = await patch(`${base}/api/batteries/1`, { current_a: -50, soc_pct: "low" });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain("application/json");
    expect(bad.json()).toMatchObject({ field: "soc_pct" });
    const notJson = await http(`${base}/api/batteries/1`, { method: "PATCH", body: "{current_a:" });
    expect(notJson.status).toBe(400);
    expect(notJson.json()).toMatchObject({ field: "(body)" });
    expect((await http(`${base}/api/batteries/1`)).json()).toMatchObject({
      demand_a: before.demand_a,
      soc_pct: before.soc_pct,
    });
    expect((await http(`${base}/api/batteries/1`, { method: "DELETE" })).status).toBe(405);
  });

  it("the event stream sends the state, then the change a PATCH made", async () => {
    const { base } = await start();
    const events: string[] = [];
    const req = request(`${base}/api/events`);
    const opened = new Promise<void>((resolve) =>
      req.on("response", (res) => {
        expect(res.headers["content-type"]).toContain("text/event-stream");
        res.on("data", (d) => events.push(String(d)));
        resolve();
      }),
    );
    req.end();
    await opened;
    const seen = (check: (text: string) => boolean) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 15_000;
        const poll = () => {
          if (check(events.join(""))) resolve();
          else if (Date.now() > deadline)
            reject(new Error(`no such event in ${events.join("").slice(0, 300)}`));
          else setTimeout(poll, 20);
        };
        poll();
      });
    await seen((t) => t.startsWith('event: update\ndata: {"batteries":'));
    await patch(`${base}/api/batteries/2`, { soc_pct: 12 });
    await seen((t) => /"n":2,[^}]*"soc_pct":12,/.test(t));
    req.destroy();
  });
});

describe("who may use the console", () => {
  it("on a loopback address answers only requests for a loopback name (no DNS rebinding)", async () => {
    const { base } = await start();
    const other = await http(`${base}/api/batteries`, { headers: { Host: "attacker.example:8090" } });
    expect(other.status).toBe(403);
    expect((await http(`${base}/api/batteries`, { headers: { Host: "localhost:8090" } })).status).toBe(200);
  });

  it("on any other address wants the printed token: query, X-Console-Token or Bearer", async () => {
    const { running: r, base } = await start("0.0.0.0");
    const token = r.server.token as string;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(r.server.url).toBe(`http://0.0.0.0:${r.server.port}/?token=${token}`);
    expect((await http(`${base}/api/batteries`)).status).toBe(401);
    expect((await http(`${base}/?token=wrong`)).status).toBe(401);
    expect((await patch(`${base}/api/batteries/1`, { soc_pct: 5 })).status).toBe(401);
    expect((await http(`${base}/api/batteries?token=${token}`)).status).toBe(200);
    expect((await http(`${base}/api/batteries`, { headers: { "X-Console-Token": token } })).status).toBe(200);
    expect(
      (await http(`${base}/api/batteries`, { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
  });

  it("a port in use is PORT_IN_USE", async () => {
    const { emulator: emu, running: r } = await start();
    await expect(
      startEmulatorConsole(emu, { host: "127.0.0.1", port: r.server.port, clock: systemClock }),
    ).rejects.toMatchObject({ code: "PORT_IN_USE" });
  });
});
