import Decimal from "decimal.js";
import type { Duration } from "@meterflow/flow-spec";
import { isDecimalLike } from "../decimal-values";
import { eventIdentity, type Item, type WindowState } from "../engine-types";
import { exceptionItem, type NodeImplementation } from "../node-implementation";
import { durationMs, instantMs, windowFinder } from "../time-windows";

/** A measure while a batch runs: plain numbers while exact, decimals once needed. */
type Accumulator = number | Decimal | { seen: Set<string> } | { atMs: number; value: unknown } | undefined;

interface OpenWindow {
  state: WindowState;
  firstMs: number;
  lastMs: number;
  digest: number;
  measures: Record<string, Accumulator>;
  added: string[];
}

/**
 * Event-time tumbling windows keyed by expressions. Window state lives in the context, so a
 * stream gives the same windows however it is split into batches. An event whose window closed
 * (its end plus the grace period is behind the watermark) is late: a late_event exception, or,
 * when the node says so, an adjustment to its window as long as that window has not been closed.
 */
export const aggregate: NodeImplementation<"aggregate"> = {
  prepare(node, env) {
    const groupBy = node.config.groupBy.map((group) => ({
      name: group.name,
      expression: env.expression(group.expression),
    }));
    const eventTime = env.expression(node.config.eventTime);
    const measures = node.config.measures.map((measure) => ({
      ...measure,
      compiled: measure.expression ? env.expression(measure.expression) : undefined,
    }));
    const graceMs = durationMs(node.config.grace);
    const findWindow = windowFinder(node.config.period);
    return (items, run) => {
      const late: Item[] = [];
      const failed: Item[] = [];
      const aggregated: Item[] = [];
      const open = new Map<string, OpenWindow>();
      const storedWatermark = run.context.windows.watermark(node.id);
      let watermarkMs = storedWatermark === undefined ? Number.NEGATIVE_INFINITY : Date.parse(storedWatermark);
      const startWatermarkMs = watermarkMs;
      const values: unknown[] = new Array(measures.length);
      const groupValues: unknown[] = new Array(groupBy.length);
      // The windows this batch touched, found again by comparing group values: no key string per event.
      const recent: { values: unknown[]; start: string; window: OpenWindow }[] = [];

      for (const item of items) {
        let atMs: number;
        try {
          const time = eventTime.evaluate(item.value);
          atMs = typeof time === "string" ? instantMs(time) : Number.NaN;
          if (Number.isNaN(atMs))
            throw new Error(`Event time ${node.config.eventTime} is not a timestamp: ${JSON.stringify(time)}`);
          for (let g = 0; g < groupBy.length; g += 1)
            groupValues[g] = groupBy[g]!.expression.evaluate(item.value) ?? null;
          for (let i = 0; i < measures.length; i += 1) {
            const measure = measures[i]!;
            const value = measure.compiled ? measure.compiled.evaluate(item.value) : undefined;
            if (
              (measure.op === "sum" || ((measure.op === "max" || measure.op === "min") && value != null)) &&
              !isDecimalLike(value)
            ) {
              throw new Error(`cannot ${measure.op} ${JSON.stringify(value)}, not a number`);
            }
            values[i] = value;
          }
        } catch (error) {
          failed.push(exceptionItem(item, "invalid_event", `Aggregate ${node.id}: ${(error as Error).message}`));
          continue;
        }
        const window = findWindow(atMs);
        const isLate = window.endMs + graceMs <= watermarkMs;
        if (isLate && node.config.lateEvents === "exception") {
          late.push(exceptionItem(item, "late_event", lateReason(atMs, window, graceMs, node.config.grace)));
          continue;
        }
        let target = recentWindow(recent, groupValues, window.start);
        if (!target) {
          const key = windowKey(groupValues, window.start);
          target = open.get(key);
          if (!target) {
            const stored = run.context.windows.get(node.id, key);
            // An adjustment joins a window not closed yet. A closed one has been summarised (and
            // perhaps invoiced): reopening it under its key would make a second summary the
            // database and the ERP drop as a repeat, so the event is an exception, never lost.
            if (!stored && isLate) {
              late.push(
                exceptionItem(
                  item,
                  "late_event",
                  `${lateReason(atMs, window, graceMs, node.config.grace)}; adjustments join a window only while it is open, and this one is closed`,
                ),
              );
              continue;
            }
            const group = Object.fromEntries(groupBy.map((by, g) => [by.name, groupValues[g]]));
            target = openWindow(stored, { key, group, start: window.start, end: window.end }, atMs);
            open.set(key, target);
          }
          if (recent.length < 32) recent.push({ values: [...groupValues], start: window.start, window: target });
        }
        for (let i = 0; i < measures.length; i += 1) {
          const measure = measures[i]!;
          target.measures[measure.name] = fold(measure.op, target.measures[measure.name], values[i], atMs);
        }
        target.state.count += 1;
        if (atMs < target.firstMs) target.firstMs = atMs;
        if (atMs > target.lastMs) target.lastMs = atMs;
        for (const token of item.events) {
          target.digest = (target.digest + fnv1a(eventIdentity(token))) >>> 0;
          target.added.push(token);
        }
        aggregated.push(item);
        if (atMs > watermarkMs) watermarkMs = atMs;
      }

      for (const window of open.values()) {
        const state = closeBatch(window);
        run.context.windows.set(node.id, state);
        run.effects.windowUpdates.push({ nodeId: node.id, ...state, added: window.added });
        run.effects.lineage.push({
          outputId: `${node.id}:${state.key}`,
          inputIds: window.added.map(eventIdentity),
          nodeId: node.id,
          flowVersionHash: env.flowVersionHash,
        });
      }
      if (watermarkMs > startWatermarkMs)
        run.context.windows.setWatermark(node.id, new Date(watermarkMs).toISOString());
      // Consumed items leave on a port no edge can use: the runner counts their events as validated.
      return { late, failed, __aggregated: aggregated };
    };
  },
};

// A function of its own, not a closure in the loop: a closure there would move the loop's
// variables into a heap context on every event.
function lateReason(atMs: number, window: { label: string; endMs: number }, graceMs: number, grace: Duration): string {
  return `Event time ${new Date(atMs).toISOString()} is in window ${window.label}, closed since ${new Date(window.endMs + graceMs).toISOString()} (grace ${grace.amount} ${grace.unit})`;
}

/** A window's key: its group values (strings tagged so "1" and 1 group apart) and start, with a separator PostgreSQL text can store. */
function windowKey(groupValues: readonly unknown[], start: string): string {
  let key = "";
  for (const value of groupValues) key += `${typeof value === "string" ? `s${value}` : JSON.stringify(value)}\u001f`;
  return key + start;
}

/** A window this batch already touched with exactly these (primitive) group values and start. */
function recentWindow(
  recent: { values: unknown[]; start: string; window: OpenWindow }[],
  groupValues: readonly unknown[],
  start: string,
): OpenWindow | undefined {
  next: for (const entry of recent) {
    if (entry.start !== start) continue;
    for (let g = 0; g < groupValues.length; g += 1) if (entry.values[g] !== groupValues[g]) continue next;
    return entry.window;
  }
  return undefined;
}

function openWindow(
  stored: WindowState | undefined,
  fresh: Pick<WindowState, "key" | "group" | "start" | "end">,
  atMs: number,
): OpenWindow {
  if (!stored) {
    const state: WindowState = {
      ...fresh,
      measures: {},
      count: 0,
      firstEventTime: "",
      lastEventTime: "",
      digest: "00000000",
    };
    return { state, firstMs: atMs, lastMs: atMs, digest: 0, measures: {}, added: [] };
  }
  const measures: Record<string, Accumulator> = {};
  for (const [name, value] of Object.entries(stored.measures)) measures[name] = revive(value);
  return {
    state: { ...stored },
    firstMs: Date.parse(stored.firstEventTime),
    lastMs: Date.parse(stored.lastEventTime),
    digest: Number.parseInt(stored.digest, 16),
    measures,
    added: [],
  };
}

function closeBatch(window: OpenWindow): WindowState {
  const measures: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(window.measures)) measures[name] = persist(value);
  return {
    ...window.state,
    measures,
    firstEventTime: new Date(window.firstMs).toISOString(),
    lastEventTime: new Date(window.lastMs).toISOString(),
    digest: window.digest.toString(16).padStart(8, "0"),
  };
}

function toExact(value: number | string): number | Decimal {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return new Decimal(value);
}

function add(a: number | Decimal, b: number | Decimal): number | Decimal {
  if (typeof a === "number" && typeof b === "number") {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  return new Decimal(a).plus(b);
}

function compare(a: number | Decimal, b: number | Decimal): number {
  return typeof a === "number" && typeof b === "number" ? Math.sign(a - b) : new Decimal(a).comparedTo(b);
}

function fold(op: string, current: Accumulator, value: unknown, atMs: number): Accumulator {
  switch (op) {
    case "count":
      return ((current as number | undefined) ?? 0) + 1;
    case "sum":
      return add((current as number | Decimal | undefined) ?? 0, toExact(value as number | string));
    case "max":
    case "min": {
      if (value === undefined || value === null) return current;
      const candidate = toExact(value as number | string);
      if (current === undefined) return candidate;
      const order = compare(candidate, current as number | Decimal);
      return (op === "max" ? order > 0 : order < 0) ? candidate : current;
    }
    case "distinctCount": {
      const seen = (current as { seen: Set<string> } | undefined) ?? { seen: new Set<string>() };
      if (value !== undefined) seen.seen.add(JSON.stringify(value));
      return seen;
    }
    case "latest": {
      const previous = current as { atMs: number; value: unknown } | undefined;
      return !previous || atMs >= previous.atMs ? { atMs, value } : previous;
    }
    default:
      return current;
  }
}

/** Stored measures are JSON: decimal strings, counts, distinct sets as sorted lists, latest with its time. */
function persist(value: Accumulator): unknown {
  if (typeof value === "number") return String(value);
  if (value instanceof Decimal) return value.toFixed();
  if (value && "seen" in value) return { values: [...value.seen].sort(), count: value.seen.size };
  if (value && "atMs" in value) return { at: new Date(value.atMs).toISOString(), value: value.value };
  return value;
}

function revive(value: unknown): Accumulator {
  if (typeof value === "string") return toExact(value);
  if (typeof value === "number") return value;
  if (value && typeof value === "object" && "values" in value)
    return { seen: new Set((value as { values: string[] }).values) };
  if (value && typeof value === "object" && "at" in value) {
    const latest = value as unknown as { at: string; value: unknown };
    return { atMs: Date.parse(latest.at), value: latest.value };
  }
  return undefined;
}

/** The value a measure reports in a summary. */
export function measureValue(stored: unknown): unknown {
  if (stored && typeof stored === "object" && "count" in stored && "values" in stored)
    return (stored as { count: number }).count;
  if (stored && typeof stored === "object" && "at" in stored && "value" in stored)
    return (stored as { value: unknown }).value;
  return stored;
}

function fnv1a(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
