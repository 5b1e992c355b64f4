import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SEC = 100;

/** User + system CPU of every process in a process group, ms, from /proc. */
export function groupCpuMs(pgid: number | undefined): number {
  if (pgid === undefined) return 0;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended while we looked
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SEC;
}

/** Resident memory of every process in a process group, MB, from /proc (`VmRSS`). */
export function groupRssMb(pgid: number | undefined): number {
  if (pgid === undefined) return 0;
  let kb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      kb += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the process ended while we looked
    }
  }
  return Math.round(kb / 1024);
}

/** Samples `groupRssMb` every `everyMs` until stopped; `stop` returns the highest sample. */
export function sampleGroupRss(pgid: number | undefined, everyMs = 250): { stop: () => number } {
  let peak = groupRssMb(pgid);
  const timer = setInterval(() => (peak = Math.max(peak, groupRssMb(pgid))), everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, groupRssMb(pgid));
    },
  };
}
