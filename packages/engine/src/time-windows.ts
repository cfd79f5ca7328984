import type { Duration } from "@meterflow/flow-spec";

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function durationMs(duration: Duration): number {
  return duration.amount * UNIT_MS[duration.unit];
}

/** The event time an item carries (CloudEvent `time`, or the audit time a Map node kept), as given. */
export function eventTimeOf(value: unknown): string | undefined {
  const record = value as { time?: unknown; audit?: { eventTime?: unknown } } | null;
  return typeof record?.time === "string" ? record.time : typeof record?.audit?.eventTime === "string" ? record.audit.eventTime : undefined;
}

/** Epoch ms of an item's event time; 0 when it has none. */
export function eventTimeMs(value: unknown): number {
  const time = eventTimeOf(value);
  const parsed = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(parsed) ? 0 : parsed;
}

export type Period = "hour" | "day" | "month";

export interface Window {
  startMs: number;
  endMs: number;
  start: string;
  end: string;
  label: string;
}

/** Remembers the last window found per period: consecutive events mostly share one. */
export function windowFinder(period: Period): (atMs: number) => Window {
  let last: Window | undefined;
  return (atMs) => {
    if (!last || atMs < last.startMs || atMs >= last.endMs) last = windowOf(new Date(atMs).toISOString(), period);
    return last;
  };
}

/** The UTC tumbling window containing `at`. */
export function windowOf(at: string, period: Period): Window {
  const date = new Date(at);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const start = period === "month" ? Date.UTC(y, m, 1) : period === "day" ? Date.UTC(y, m, d) : Date.UTC(y, m, d, date.getUTCHours());
  const end = period === "month" ? Date.UTC(y, m + 1, 1) : start + (period === "day" ? 86_400_000 : 3_600_000);
  const iso = new Date(start).toISOString();
  const label = period === "month" ? iso.slice(0, 7) : period === "day" ? iso.slice(0, 10) : iso.slice(0, 13);
  return { startMs: start, endMs: end, start: iso, end: new Date(end).toISOString(), label };
}
