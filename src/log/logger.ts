/**
 * A small namespaced logger. The core receives a Logger in its context and never writes to stdout itself;
 * src/cli picks the sink (the original Python bridge's text format, or JSON lines with --log-json).
 *
 * Text format (the original Python bridge's logging format, kept so existing log scrapers keep working):
 *   2026-02-22 13:05:57 INFO Published → 13.45V | 9.93A | SoC 71% | 133.6W | Temp 9.0°C | Cycles 27
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: number;
  level: LogLevel;
  namespace: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface Logger {
  debug(message: string | (() => string), fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(namespace: string): Logger;
}

export type LogSink = (record: LogRecord) => void;

export interface LoggerOptions {
  level?: LogLevel;
  sink: LogSink;
  now?: () => number;
  namespace?: string;
}

export function createLogger(options: LoggerOptions): Logger {
  const min = LEVEL_ORDER[options.level ?? "info"];
  const now = options.now ?? Date.now;
  const ns = options.namespace ?? "";
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (LEVEL_ORDER[level] < min) return;
    const record: LogRecord = { time: now(), level, namespace: ns, message };
    if (fields !== undefined) record.fields = fields;
    options.sink(record);
  };
  return {
    debug: (message, fields) => {
      if (LEVEL_ORDER.debug < min) return;
      emit("debug", typeof message === "function" ? message() : message, fields);
    },
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (namespace) => createLogger({ ...options, namespace: ns ? `${ns}:${namespace}` : namespace }),
  };
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2026-02-22 13:05:57` in local time, as Python's logging `asctime` prints it (without milliseconds). */
export function formatAscTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatTextRecord(record: LogRecord): string {
  return `${formatAscTime(record.time)} ${record.level.toUpperCase()} ${record.message}`;
}

export function formatJsonRecord(record: LogRecord): string {
  return JSON.stringify({
    time: new Date(record.time).toISOString(),
    level: record.level,
    ns: record.namespace,
    msg: record.message,
    ...record.fields,
  });
}

/** A logger that keeps records in memory: the fake tests use to assert "logged once, no flood". */
export function createMemoryLogger(level: LogLevel = "debug"): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const logger = createLogger({ level, sink: (r) => records.push(r) });
  return Object.assign(logger, { records });
}
