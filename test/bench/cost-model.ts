import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { collectFunction as collect } from '../../functions/collect/function.ts';
import { ingestFunction as ingest } from '../../functions/ingest/function.ts';
import { SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS } from '../../functions/descriptor.ts';
import { SLICE_STAGING } from '../../functions/patterns/job.ts';
import { ANALYSES } from '../../functions/patterns/patterns.ts';
import { DEFAULT_PRIVACY } from '../../functions/privacy/settings.ts';
import { HISTORY_DAYS } from '../../functions/warehouse/sql-macros.ts';

/**
 * The cost and capacity model of docs/cost.md: the benches' per-request and per-message figures
 * (test/bench/figures.json), Google's list prices and default quotas, and the assumptions a figure cannot
 * give, each named once below. `npm run cost` writes its tables into docs/cost.md; test/docs/cost.test.ts
 * recomputes them, so the page cannot drift from the figures.
 */

/** A figure measured with 1-event and with 100-event requests or messages; a size between is interpolated. */
const Sized = z.strictObject({ one: z.number().nonnegative(), hundred: z.number().nonnegative() });
type Sized = z.infer<typeof Sized>;

export const Figures = z.strictObject({
  /** Where each group of figures came from: the command, the commit and the date. */
  measured: z.strictObject({ collect: z.string(), ingest: z.string(), batching: z.string() }),
  collect: z.strictObject({
    /** CPU µs per request of the collect process, publishing to Pub/Sub, at 200 req/s. */
    cpuMicrosPerRequest: Sized,
    /** Bytes of the request body, and so of the Pub/Sub message collect publishes for it. */
    bodyBytes: Sized,
  }),
  ingest: z.strictObject({
    /** CPU µs per message of ingest without the local warehouse, which production does not have. */
    cpuMicrosPerMessage: Sized,
    firestoreWritesPerMessage: Sized,
    firestoreReadsPerMessage: Sized,
  }),
  /** Events per request at the client's default batching, measured with the client driving the bench. */
  eventsPerRequest: z.number().min(1).max(100),
});
export type Figures = z.infer<typeof Figures>;

export function readFigures(file = new URL('./figures.json', import.meta.url)): Figures {
  return Figures.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** List prices in USD (Tier 1 regions, multi-region Firestore), as published by Google; edit them when Google does. */
export const PRICES = {
  /** Cloud Run functions (gen2), request-based billing: https://cloud.google.com/run/pricing */
  vcpuSecond: 0.000024,
  gibSecond: 0.0000025,
  perMillionRequests: 0.4,
  /** Firestore Standard edition, nam5/eur3: https://cloud.google.com/firestore/pricing */
  per100kReads: 0.06,
  per100kWrites: 0.18,
  /** Pub/Sub throughput, publish and delivery each, at least 1 kB a request: https://cloud.google.com/pubsub/pricing */
  perTiBPubSub: 40,
  /** BigQuery: legacy streaming inserts (at least 1 KB a row), storage, on-demand queries: https://cloud.google.com/bigquery/pricing */
  per200MBStreamingInsert: 0.01,
  gibMonthActiveStorage: 0.02,
  gibMonthLongTermStorage: 0.01,
  perTiBScanned: 6.25,
} as const;

/** Default quotas and documented limits the model checks each size against. */
export const LIMITS = {
  /** Firestore's sustained write rate to one document: https://cloud.google.com/firestore/docs/best-practices */
  writesPerDocumentPerSecond: 1,
  /** Pub/Sub publisher throughput per large region (europe-west1, us-central1, us-east1): https://cloud.google.com/pubsub/quotas */
  pubsubPublishBytesPerSecond: 200_000_000,
  /** BigQuery on-demand slots per project: https://cloud.google.com/bigquery/quotas */
  onDemandSlots: 2_000,
} as const;

/** What no bench measures: each is a judgement, stated in docs/cost.md. */
export const ASSUMPTIONS = {
  /** The busiest hour carries this many times the mean rate (evening grocery shopping). */
  peakToMean: 3,
  /** CPU time ÷ billed instance time: an instance is billed while any request is in flight, waits included. */
  cpuUtilization: 0.5,
  /** Events a shopper sends on a day they shop; sets the shoppers the patterns job stages each night. */
  eventsPerActiveShopperPerDay: 30,
  /** Searches per event (the benches' mix: one in ten); search reads one preference document per search. */
  searchesPerEvent: 0.1,
  /** Bytes a stored event row holds in BigQuery (its columns, `data` and `context` JSON included). */
  rowBytesPerEvent: 600,
  /** Bytes of the columns the patterns job's staging reads per event and per order line of the window. */
  stagedBytesPerEvent: 120,
  orderLinesPerEvent: 0.12,
  stagedBytesPerOrderLine: 100,
  /** Cart adds and result clicks per event (the benches' mix: 11 % and 20 %): the engagement a run stages. */
  engagementPerEvent: 0.3,
  /** Bytes of a staged cart add or click: ids, type, time, category and brand. */
  stagedBytesPerEngagement: 120,
  /** Bytes a slot scans per second; an order of magnitude, not a published figure. */
  slotBytesPerSecond: 50_000_000,
} as const;

export const SIZES = [1_000_000, 10_000_000, 100_000_000] as const;

/** The queries each slice runs on its staged rows: the analyses, and the reorder model's outcomes. */
const SLICE_QUERIES = [...ANALYSES, 'reorder_outcomes'];

/** How many of the slice's queries read `table`, from their files in sql/: each reads the slice's rows once. */
export function slicesReadersOf(table: string): number {
  return SLICE_QUERIES.filter((file) =>
    new RegExp(`\\b${table}\\b`).test(readFileSync(new URL(`../../sql/${file}.sql`, import.meta.url), 'utf8')),
  ).length;
}

const SECONDS_PER_DAY = 86_400;
const DAYS_PER_MONTH = 30;
const TiB = 2 ** 40;
const GiB = 2 ** 30;
const KB = 1_000;

/** Linear between the 1-event and the 100-event measurements: a fixed cost per request plus one per event. */
export function at(figure: Sized, events: number): number {
  return figure.one + ((figure.hundred - figure.one) * (events - 1)) / 99;
}

function gib(memory: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(memory);
  if (!match) throw new Error(`memory ${memory} is not in Mi or Gi`);
  return Number(match[1]) / (match[2] === 'Gi' ? 1 : 1024);
}

export type CostLine = { item: string; perMonth: number };
export type LimitUse = { limit: string; used: number };
export type SizeModel = { eventsPerDay: number; lines: CostLine[]; total: number; perMillionEvents: number; limits: LimitUse[] };

/** The month's cost of each part at a size, and how much of each limit its peak hour uses. */
export function modelAt(eventsPerDay: number, figures: Figures): SizeModel {
  const n = figures.eventsPerRequest;
  const requestsPerDay = eventsPerDay / n;
  const month = (perDay: number) => perDay * DAYS_PER_MONTH;

  // Functions: CPU measured per request or message, billed as instance time at the assumed utilization.
  const instanceCost = (cpuMicros: number, memory: string, vcpus: string) => {
    const instanceSeconds = (requestsPerDay * cpuMicros) / 1e6 / ASSUMPTIONS.cpuUtilization;
    return (
      instanceSeconds * (Number(vcpus) * PRICES.vcpuSecond + gib(memory) * PRICES.gibSecond) +
      (requestsPerDay / 1e6) * PRICES.perMillionRequests
    );
  };
  const collectCpu = at(figures.collect.cpuMicrosPerRequest, n);
  const ingestCpu = at(figures.ingest.cpuMicrosPerMessage, n);

  const writes = requestsPerDay * at(figures.ingest.firestoreWritesPerMessage, n);
  const reads = requestsPerDay * at(figures.ingest.firestoreReadsPerMessage, n) + eventsPerDay * ASSUMPTIONS.searchesPerEvent;

  // Pub/Sub bills the publish and the push delivery, each at least 1 kB.
  const messageBytes = Math.max(KB, at(figures.collect.bodyBytes, n));
  const pubsubBytes = 2 * requestsPerDay * messageBytes;

  // BigQuery: each event streamed once; kept for the default retention, long-term after 90 days unchanged;
  // each night the patterns job scans the window's columns once to stage its shoppers' rows, each slice copies
  // its own out of them (the blocks of its range of shoppers), and the slice's queries read that copy. Bounded
  // above by every shopper of the window being active: all staged rows, each read once per reader.
  const streamedBytes = eventsPerDay * Math.max(KB, ASSUMPTIONS.rowBytesPerEvent);
  const storedGiB = (days: number) => (eventsPerDay * ASSUMPTIONS.rowBytesPerEvent * days) / GiB;
  const retention = DEFAULT_PRIVACY.retention_days;
  const windowEvents = HISTORY_DAYS * eventsPerDay;
  const windowBytes =
    windowEvents * (ASSUMPTIONS.stagedBytesPerEvent + ASSUMPTIONS.orderLinesPerEvent * ASSUMPTIONS.stagedBytesPerOrderLine);
  const [[lineTable], [engagementTable]] = SLICE_STAGING;
  const stagedLineBytes = windowEvents * ASSUMPTIONS.orderLinesPerEvent * ASSUMPTIONS.stagedBytesPerOrderLine;
  const stagedEngagementBytes = windowEvents * ASSUMPTIONS.engagementPerEvent * ASSUMPTIONS.stagedBytesPerEngagement;
  const nightlyScan =
    windowBytes + stagedLineBytes * (1 + slicesReadersOf(lineTable)) + stagedEngagementBytes * (1 + slicesReadersOf(engagementTable));

  const lines: CostLine[] = [
    { item: 'collect (CPU, memory, requests)', perMonth: month(instanceCost(collectCpu, collect.sizing.memory, collect.sizing.cpu)) },
    { item: 'ingest (CPU, memory, requests)', perMonth: month(instanceCost(ingestCpu, ingest.sizing.memory, ingest.sizing.cpu)) },
    { item: 'Firestore writes', perMonth: month((writes / 1e5) * PRICES.per100kWrites) },
    { item: 'Firestore reads (ingest and search)', perMonth: month((reads / 1e5) * PRICES.per100kReads) },
    { item: 'Pub/Sub throughput', perMonth: month((pubsubBytes / TiB) * PRICES.perTiBPubSub) },
    { item: 'BigQuery streaming inserts', perMonth: month((streamedBytes / 200e6) * PRICES.per200MBStreamingInsert) },
    {
      item: 'BigQuery storage',
      perMonth:
        storedGiB(Math.min(90, retention)) * PRICES.gibMonthActiveStorage +
        storedGiB(Math.max(0, retention - 90)) * PRICES.gibMonthLongTermStorage,
    },
    { item: 'BigQuery nightly patterns scan', perMonth: month((nightlyScan / TiB) * PRICES.perTiBScanned) },
  ];
  const total = lines.reduce((sum, line) => sum + line.perMonth, 0);

  const peak = (perDay: number) => (perDay / SECONDS_PER_DAY) * ASSUMPTIONS.peakToMean;
  const vcpusAt = (cpuMicros: number) => (peak(requestsPerDay) * cpuMicros) / 1e6 / ASSUMPTIONS.cpuUtilization;
  const limits: LimitUse[] = [
    {
      limit: `collect instances (max ${collect.sizing.maxInstances} × ${collect.sizing.cpu} vCPU)`,
      used: vcpusAt(collectCpu) / (collect.sizing.maxInstances * Number(collect.sizing.cpu)),
    },
    {
      limit: `ingest instances (max ${ingest.sizing.maxInstances} × ${ingest.sizing.cpu} vCPU)`,
      used: vcpusAt(ingestCpu) / (ingest.sizing.maxInstances * Number(ingest.sizing.cpu)),
    },
    {
      limit: 'Pub/Sub publish throughput (200 MB/s a region)',
      used: (peak(requestsPerDay) * messageBytes) / LIMITS.pubsubPublishBytesPerSecond,
    },
    {
      limit: `BigQuery slots for the patterns night (${LIMITS.onDemandSlots} in ${SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS / 60} min)`,
      used: nightlyScan / ASSUMPTIONS.slotBytesPerSecond / (LIMITS.onDemandSlots * SCHEDULER_MAX_ATTEMPT_DEADLINE_SECONDS),
    },
  ];
  return { eventsPerDay, lines, total, perMillionEvents: total / month(eventsPerDay / 1e6), limits };
}

const usd = (value: number) => (value >= 100 ? `$${Math.round(value).toLocaleString('en-US')}` : `$${value.toFixed(2)}`);
const percent = (value: number) => `${(value * 100).toFixed(value < 0.1 ? 2 : 0)} %`;
const millions = (events: number) => `${events / 1e6} M`;

/** The generated part of docs/cost.md. */
export function costTables(figures: Figures): string {
  const models = SIZES.map((size) => modelAt(size, figures));
  const header = `| per month | ${models.map((m) => `${millions(m.eventsPerDay)} events/day`).join(' | ')} |`;
  const rule = `|---|${models.map(() => '---:').join('|')}|`;
  const cost = [
    header,
    rule,
    ...(models[0]?.lines ?? []).map((line, i) => `| ${line.item} | ${models.map((m) => usd(m.lines[i]?.perMonth ?? 0)).join(' | ')} |`),
    `| **total** | ${models.map((m) => `**${usd(m.total)}**`).join(' | ')} |`,
    `| per million events | ${models.map((m) => usd(m.perMillionEvents)).join(' | ')} |`,
  ];
  const limits = [
    `| share of the limit used in the peak hour | ${models.map((m) => `${millions(m.eventsPerDay)} events/day`).join(' | ')} |`,
    rule,
    ...(models[0]?.limits ?? []).map(
      (limit, i) => `| ${limit.limit} | ${models.map((m) => percent(m.limits[i]?.used ?? 0)).join(' | ')} |`,
    ),
    `| **nearest limit** | ${models.map((m) => `**${firstLimit(m)}**`).join(' | ')} |`,
  ];
  const inputs = [
    `Figures (\`test/bench/figures.json\`): ${figures.eventsPerRequest} event(s) per request at the client's default batching (${figures.measured.batching});`,
    `collect ${Math.round(at(figures.collect.cpuMicrosPerRequest, figures.eventsPerRequest))} µs of CPU per request (${figures.measured.collect});`,
    `ingest ${Math.round(at(figures.ingest.cpuMicrosPerMessage, figures.eventsPerRequest))} µs per message, ${at(figures.ingest.firestoreWritesPerMessage, figures.eventsPerRequest).toFixed(2)} Firestore writes and ${at(figures.ingest.firestoreReadsPerMessage, figures.eventsPerRequest).toFixed(2)} reads per message (${figures.measured.ingest}).`,
  ];
  return [cost.join('\n'), limits.join('\n'), inputs.join('\n')].join('\n\n');
}

function firstLimit(model: SizeModel): string {
  const top = model.limits.reduce((a, b) => (b.used > a.used ? b : a));
  return top.used >= 1 ? `${top.limit.replace(/ \(.*$/, '')}: over` : `${top.limit.replace(/ \(.*$/, '')} (${percent(top.used)})`;
}

export const BEGIN = '<!-- cost tables: written by `npm run cost`, checked by test/docs/cost.test.ts -->';
export const END = '<!-- end of cost tables -->';

/** The page with its generated part replaced. */
export function withTables(page: string, figures: Figures): string {
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error('docs/cost.md lost its cost-table markers');
  return `${page.slice(0, start + BEGIN.length)}\n${costTables(figures)}\n${page.slice(end)}`;
}
