import type { Duration } from "@meterflow/flow-spec";

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function durationMs(duration: Duration): number {
  return duration.amount * UNIT_MS[duration.unit];
}

export function addDuration(at: string, duration: Duration): string {
  return new Date(Date.parse(at) + durationMs(duration)).toISOString();
}

/** An item's event time: the CloudEvent `time`, or the audit time a Map node recorded. */
export function eventTimeOf(value: unknown): string {
  const record = value as { time?: unknown; audit?: { eventTime?: unknown } } | null;
  const time = typeof record?.time === "string" ? record.time : typeof record?.audit?.eventTime === "string" ? record.audit.eventTime : undefined;
  const parsed = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(parsed) ? new Date(0).toISOString() : new Date(parsed).toISOString();
}

export type Period = "hour" | "day" | "month";

/** The UTC tumbling window containing `at`. */
export function windowOf(at: string, period: Period): { start: string; end: string; label: string } {
  const date = new Date(at);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const start = period === "month" ? Date.UTC(y, m, 1) : period === "day" ? Date.UTC(y, m, d) : Date.UTC(y, m, d, date.getUTCHours());
  const end = period === "month" ? Date.UTC(y, m + 1, 1) : start + (period === "day" ? 86_400_000 : 3_600_000);
  const iso = new Date(start).toISOString();
  const label = period === "month" ? iso.slice(0, 7) : period === "day" ? iso.slice(0, 10) : iso.slice(0, 13);
  return { start: iso, end: new Date(end).toISOString(), label };
}
