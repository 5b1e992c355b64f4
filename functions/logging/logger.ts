/**
 * Structured logs in the Cloud Logging JSON format: one JSON object per line on stdout/stderr,
 * with `severity`, `message` and `logging.googleapis.com/labels`. Never log tokens or event bodies.
 */
export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(labels: Record<string, string>): Logger;
}

export type LogSink = (line: string, severity: Severity) => void;

const defaultSink: LogSink = (line, severity) => {
  (severity === 'ERROR' || severity === 'CRITICAL' ? process.stderr : process.stdout).write(`${line}\n`);
};

const ORDER: Record<Severity, number> = { DEBUG: 0, INFO: 1, NOTICE: 2, WARNING: 3, ERROR: 4, CRITICAL: 5 };

export function createLogger(options: { labels?: Record<string, string>; sink?: LogSink; minSeverity?: Severity } = {}): Logger {
  const labels = options.labels ?? {};
  const sink = options.sink ?? defaultSink;
  const min = ORDER[options.minSeverity ?? 'INFO'];
  const write = (severity: Severity, message: string, fields: LogFields = {}) => {
    if (ORDER[severity] < min) return;
    const entry: LogFields = { severity, message, ...fields, time: new Date().toISOString() };
    if (Object.keys(labels).length) entry['logging.googleapis.com/labels'] = labels;
    sink(JSON.stringify(entry, errorReplacer), severity);
  };
  return {
    debug: (m, f) => write('DEBUG', m, f),
    info: (m, f) => write('INFO', m, f),
    warn: (m, f) => write('WARNING', m, f),
    error: (m, f) => write('ERROR', m, f),
    child: (more) => createLogger({ ...options, labels: { ...labels, ...more } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** A logger that keeps entries in memory, for tests that assert what was logged. */
export function createMemoryLogger(): Logger & { entries: LogFields[] } {
  const entries: LogFields[] = [];
  const logger = createLogger({ sink: (line) => entries.push(JSON.parse(line) as LogFields), minSeverity: 'DEBUG' });
  return Object.assign(logger, { entries });
}
