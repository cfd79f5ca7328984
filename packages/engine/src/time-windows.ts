import type { Duration } from "@meterflow/flow-spec";

const UNIT_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

export function durationMs(duration: Duration): number {
  return duration.amount * UNIT_MS[duration.unit];
}

/** The event time an item carries (CloudEvent `time`, or the audit time a Map node kept), as given. */
export function eventTimeOf(value: unknown): string | undefined {
  const record = value as { time?: unknown; audit?: { eventTime?: unknown } } | null;
  return typeof record?.time === "string"
    ? record.time
    : typeof record?.audit?.eventTime === "string"
      ? record.audit.eventTime
      : undefined;
}

/** Epoch ms of an item's event time; 0 when it has none. */
export function eventTimeMs(value: unknown): number {
  const time = eventTimeOf(value);
  const parsed = time === undefined ? Number.NaN : instantMs(time);
  return Number.isNaN(parsed) ? 0 : parsed;
}

const digitAt = (text: string, at: number) => text.charCodeAt(at) - 48;
const twoAt = (text: string, at: number) => digitAt(text, at) * 10 + digitAt(text, at + 1);

/**
 * Date.parse, with a fast path for the form events almost always use ("2026-11-03T10:00:00Z",
 * optionally with milliseconds): it runs three times per event, and Date.parse is slow. Anything
 * else, including days past the 28th (whose validity depends on the month), goes to Date.parse.
 */
export function instantMs(text: string): number {
  return strictInstantMs(text) ?? Date.parse(text);
}

/** Epoch ms of "YYYY-MM-DDTHH:MM:SS(.sss)Z" with a day up to 28; undefined for any other text. */
export function strictInstantMs(text: string): number | undefined {
  const length = text.length;
  const withMillis = length === 24 && text.charCodeAt(19) === 46; /* . */
  if (
    (length === 20 || withMillis) &&
    text.charCodeAt(length - 1) === 90 /* Z */ &&
    text.charCodeAt(10) === 84 /* T */ &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58 &&
    isDigit(text, 0) &&
    isDigit(text, 1) &&
    isDigit(text, 2) &&
    isDigit(text, 3) &&
    isDigit(text, 5) &&
    isDigit(text, 6) &&
    isDigit(text, 8) &&
    isDigit(text, 9) &&
    isDigit(text, 11) &&
    isDigit(text, 12) &&
    isDigit(text, 14) &&
    isDigit(text, 15) &&
    isDigit(text, 17) &&
    isDigit(text, 18) &&
    (!withMillis || (isDigit(text, 20) && isDigit(text, 21) && isDigit(text, 22)))
  ) {
    const year = twoAt(text, 0) * 100 + twoAt(text, 2);
    const month = twoAt(text, 5);
    const day = twoAt(text, 8);
    const hour = twoAt(text, 11);
    const minute = twoAt(text, 14);
    const second = twoAt(text, 17);
    if (month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour < 24 && minute < 60 && second < 60) {
      const millis = withMillis ? digitAt(text, 20) * 100 + twoAt(text, 21) : 0;
      return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
    }
  }
  return undefined;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm): no Date object. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function isDigit(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  return code >= 48 && code <= 57;
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
  const start =
    period === "month"
      ? Date.UTC(y, m, 1)
      : period === "day"
        ? Date.UTC(y, m, d)
        : Date.UTC(y, m, d, date.getUTCHours());
  const end = period === "month" ? Date.UTC(y, m + 1, 1) : start + (period === "day" ? 86_400_000 : 3_600_000);
  const iso = new Date(start).toISOString();
  const label = period === "month" ? iso.slice(0, 7) : period === "day" ? iso.slice(0, 10) : iso.slice(0, 13);
  return { startMs: start, endMs: end, start: iso, end: new Date(end).toISOString(), label };
}
