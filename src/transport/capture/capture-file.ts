/**
 * Writes a capture as JSON lines (format.ts). Writes are buffered and never block or fail the bridge:
 * a write error (disk full, file removed) is logged once and recording stops; when the disk cannot keep
 * up, lines beyond MAX_BUFFERED_BYTES are dropped and counted rather than held in memory. Only a file
 * that cannot be opened at start is an error (the user named a bad path).
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { BmsError } from "../../errors.js";
import type { Logger } from "../../log/logger.js";
import type { Clock } from "../../util/clock.js";
import type { CaptureRecorder } from "./capture-link.js";
import { type CaptureHeader, chunkLine, eventLine, headerLine } from "./format.js";

/** Above this many unwritten bytes, new lines are dropped (the disk is not keeping up). */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface CaptureFile extends CaptureRecorder {
  readonly path: string;
  /** Lines handed to the file so far (header included). */
  readonly lines: number;
  /** Lines dropped (write error or backlog). */
  readonly dropped: number;
  /** Flushes and closes; resolves even when the file failed. Idempotent. */
  close(): Promise<void>;
}

export interface CaptureFileOptions {
  path: string;
  clock: Clock;
  logger: Logger;
  header: Omit<CaptureHeader, "type" | "version" | "started_at">;
}

export async function openCaptureFile(options: CaptureFileOptions): Promise<CaptureFile> {
  const { clock, logger, path } = options;
  const stream = createWriteStream(path, { flags: "w" });
  await opened(stream, path);
  const startMs = clock.now();
  let failed = false;
  let lines = 0;
  let dropped = 0;
  let backlogLogged = false;
  let closing: Promise<void> | undefined;

  stream.on("error", (error) => {
    if (failed) return;
    failed = true;
    logger.warn(`capture to ${path} stopped: ${error.message}; the bridge keeps running without it`);
  });

  const write = (line: string): void => {
    if (failed || closing !== undefined) {
      dropped++;
      return;
    }
    if (stream.writableLength > MAX_BUFFERED_BYTES) {
      dropped++;
      if (!backlogLogged)
        logger.warn(`capture to ${path} cannot keep up: dropping lines until it catches up`);
      backlogLogged = true;
      return;
    }
    backlogLogged = false;
    lines++;
    stream.write(`${line}\n`);
  };

  write(headerLine({ ...options.header, started_at: new Date(startMs).toISOString() }));
  const t = (): number => clock.now() - startMs;

  return {
    path,
    get lines() {
      return lines;
    },
    get dropped() {
      return dropped;
    },
    chunk: (dir, address, bytes) => write(chunkLine(t(), dir, address, bytes)),
    event: (event, address, reason) => write(eventLine({ t: t(), event, address, reason })),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        let finished = false;
        const done = (): void => {
          if (finished) return;
          finished = true;
          const lost = dropped > 0 ? `, ${dropped} dropped` : "";
          logger.info(`capture: ${lines} lines written to ${path}${lost}`);
          resolve();
        };
        if (failed) {
          stream.destroy();
          done();
          return;
        }
        stream.once("error", done);
        stream.end(done);
      });
      return closing;
    },
  };
}

function opened(stream: WriteStream, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("open", () => {
      stream.off("error", onError);
      resolve();
    });
    const onError = (error: Error): void =>
      reject(
        new BmsError("CONFIG_INVALID", `--capture ${path}: cannot write there (${error.message})`, { path }),
      );
    stream.once("error", onError);
  });
}
