/**
 * The console over HTTP (node:http, no framework): the page and its two files, the JSON API and a
 * server-sent-events stream (docs/cli-emu.md "Console"). On a loopback address it answers only requests
 * addressed to a loopback name (a web page elsewhere cannot reach it through DNS rebinding); on any other
 * address every request must carry the token printed at start.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BmsError } from "../../errors.js";
import type { EmulatorConsole } from "./console.js";
import { openEventStream } from "./events.js";

/** web/console, found relative to this file both in src/ and in dist/ (package "files"). */
export const CONSOLE_WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../web/console");

const STATIC_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
  "/controls.css": { file: "controls.css", type: "text/css; charset=utf-8" },
  "/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/card.js": { file: "card.js", type: "text/javascript; charset=utf-8" },
  "/controls.js": { file: "controls.js", type: "text/javascript; charset=utf-8" },
  "/chart.js": { file: "chart.js", type: "text/javascript; charset=utf-8" },
};

/** Everything comes from this server: no CDN, no font service (many users are offline). */
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-store",
};

const MAX_BODY_BYTES = 64 * 1024;

export interface ConsoleServerOptions {
  host: string;
  /** 0 = any free port (see `port` on the result). */
  port: number;
  /** Required on a non-loopback host; generated when not given. Ignored on loopback. */
  token?: string;
}

export interface RunningConsoleServer {
  host: string;
  port: number;
  /** The token clients must send; undefined on loopback. */
  token: string | undefined;
  /** The page's address, with the token when one is needed. */
  url: string;
  close(): Promise<void>;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "application/json; charset=utf-8" });
  res.end(`${JSON.stringify(body)}\n`);
}

function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
  const header = req.headers["x-console-token"];
  return (
    bearer ?? (typeof header === "string" ? header : undefined) ?? url.searchParams.get("token") ?? undefined
  );
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Host header's name part, so a loopback console refuses pages that reach it under another name. */
function hostName(req: IncomingMessage): string {
  return (req.headers.host ?? "").replace(/:\d+$/, "");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BmsError("USAGE", `body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolveBody(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

async function serveStatic(res: ServerResponse, path: string): Promise<boolean> {
  const entry = STATIC_FILES[path];
  if (!entry) return false;
  const body = await readFile(resolve(CONSOLE_WEB_DIR, entry.file));
  res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": entry.type });
  res.end(body);
  return true;
}

async function patchBattery(req: IncomingMessage, res: ServerResponse, console_: EmulatorConsole, n: number) {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    sendJson(res, 400, { field: "(body)", error: `is not JSON: ${(error as Error).message}` });
    return;
  }
  const outcome = await console_.patch(n, body);
  sendJson(res, outcome.status, outcome.status === 200 ? outcome.state : outcome.error);
}

async function route(req: IncomingMessage, res: ServerResponse, console_: EmulatorConsole, url: URL) {
  const method = req.method ?? "GET";
  const path = url.pathname;
  if (method === "GET" && (await serveStatic(res, path))) return;
  if (method === "GET" && path === "/api/events")
    return openEventStream(req, res, console_, SECURITY_HEADERS);
  if (method === "GET" && path === "/api/batteries") return sendJson(res, 200, console_.list());
  if (method === "GET" && path === "/api/scenarios") return sendJson(res, 200, await console_.scenarios());
  const match = /^\/api\/batteries\/(\d+)(\/history)?$/.exec(path);
  if (!match) return sendJson(res, 404, { error: `no such resource ${path}` });
  const n = Number(match[1]);
  if (method === "PATCH" && !match[2]) return patchBattery(req, res, console_, n);
  if (method !== "GET") return sendJson(res, 405, { error: `${method} is not allowed on ${path}` });
  const found = match[2] ? console_.history(n) : console_.state(n);
  if (found === undefined) return sendJson(res, 404, { error: `no battery ${n}` });
  sendJson(res, 200, found);
}

export async function startConsoleServer(
  console_: EmulatorConsole,
  options: ConsoleServerOptions,
): Promise<RunningConsoleServer> {
  const loopback = isLoopbackHost(options.host);
  const token = loopback ? undefined : (options.token ?? randomBytes(16).toString("hex"));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://console");
    if (loopback && !isLoopbackHost(hostName(req))) {
      sendJson(res, 403, { error: "this console answers only to localhost / 127.0.0.1 / [::1]" });
      return;
    }
    if (token !== undefined && !sameToken(tokenOf(req, url), token)) {
      sendJson(res, 401, {
        error: "a token is required: ?token=…, X-Console-Token or Authorization: Bearer",
      });
      return;
    }
    route(req, res, console_, url).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      reject(
        error.code === "EADDRINUSE"
          ? new BmsError("PORT_IN_USE", `console ${where} is already in use`, { port: options.port })
          : new BmsError("IO", `console ${where} cannot be opened (${error.message})`),
      );
    });
    server.listen(options.port, options.host, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const shownHost = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    host: options.host,
    port,
    token,
    url: `http://${shownHost}:${port}/${token ? `?token=${token}` : ""}`,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
