import Decimal from "decimal.js";
import { eventIdentity, type WindowState } from "../engine-types";
import { evaluateOn, exceptionItem, type NodeImplementation } from "../node-implementation";
import { durationMs, windowOf } from "../time-windows";

/**
 * Event-time tumbling windows keyed by expressions. Window state lives in the context, so a
 * stream gives the same windows however it is split into batches. An event whose window closed
 * (its end plus the grace period is behind the watermark) is late: a late_event exception, or an
 * adjustment to the window when the node says so.
 */
export const aggregate: NodeImplementation<"aggregate"> = {
  prepare(node, env) {
    const groupBy = node.config.groupBy.map((group) => ({ name: group.name, expression: env.expression(group.expression) }));
    const eventTime = env.expression(node.config.eventTime);
    const measures = node.config.measures.map((measure) => ({ ...measure, compiled: measure.expression ? env.expression(measure.expression) : undefined }));
    const graceMs = durationMs(node.config.grace);
    return (items, run) => {
      const late = [];
      const failed = [];
      const aggregated = [];
      const touched = new Map<string, WindowState>();
      for (const item of items) {
        const time = evaluateOn(eventTime, item.value);
        const at = time.ok && typeof time.value === "string" && !Number.isNaN(Date.parse(time.value)) ? new Date(time.value).toISOString() : undefined;
        if (!at) {
          failed.push(exceptionItem(item, "invalid_event", time.ok ? `Event time ${node.config.eventTime} is not a timestamp: ${JSON.stringify(time.value)}` : time.reason));
          continue;
        }
        const group: Record<string, unknown> = {};
        let failure: string | undefined;
        for (const key of groupBy) {
          const value = evaluateOn(key.expression, item.value);
          if (!value.ok) failure = value.reason;
          else group[key.name] = value.value ?? null;
        }
        if (failure) {
          failed.push(exceptionItem(item, "invalid_event", failure));
          continue;
        }
        const window = windowOf(at, node.config.period);
        const watermark = run.context.windows.watermark(node.id);
        const closed = watermark !== undefined && Date.parse(window.end) + graceMs <= Date.parse(watermark);
        if (closed && node.config.lateEvents === "exception") {
          late.push(exceptionItem(item, "late_event", `Event time ${at} is in window ${window.label}, closed since ${new Date(Date.parse(window.end) + graceMs).toISOString()} (grace ${node.config.grace.amount} ${node.config.grace.unit})`));
          continue;
        }
        const key = `${JSON.stringify(Object.values(group))}|${window.start}`;
        const state: WindowState = touched.get(key) ??
          run.context.windows.get(node.id, key) ?? { key, group, start: window.start, end: window.end, measures: {}, events: [], count: 0 };
        // Window state outlives the batch, so it keeps raw event identities, not batch tokens.
        const next: WindowState = { ...state, measures: { ...state.measures }, events: [...state.events, ...item.events.map(eventIdentity)], count: state.count + 1 };
        for (const measure of measures) {
          const value = measure.compiled ? evaluateOn(measure.compiled, item.value) : { ok: true as const, value: undefined };
          if (!value.ok) {
            failure = value.reason;
            break;
          }
          try {
            next.measures[measure.name] = fold(measure.op, next.measures[measure.name], value.value, at);
          } catch (error) {
            failure = `Measure ${measure.name}: ${(error as Error).message}`;
            break;
          }
        }
        if (failure) {
          failed.push(exceptionItem(item, "invalid_event", failure));
          continue;
        }
        touched.set(key, next);
        aggregated.push(item);
        run.context.windows.set(node.id, next);
        if (!watermark || at > watermark) run.context.windows.setWatermark(node.id, at);
      }
      for (const window of touched.values()) run.effects.windowUpdates.push({ nodeId: node.id, ...window });
      // Consumed items leave on a port no edge can use: the runner counts their events as validated.
      return { late, failed, __aggregated: aggregated };
    };
  },
};

type Accumulated = unknown;

function fold(op: string, current: Accumulated, value: unknown, at: string): Accumulated {
  switch (op) {
    case "count":
      return (typeof current === "number" ? current : 0) + 1;
    case "sum":
      return new Decimal((current as string | undefined) ?? "0").plus(toDecimal(value)).toFixed();
    case "max":
    case "min": {
      if (value === undefined || value === null) return current;
      const candidate = toDecimal(value);
      if (current === undefined) return candidate.toFixed();
      const compare = candidate.comparedTo(new Decimal(current as string));
      return (op === "max" ? compare > 0 : compare < 0) ? candidate.toFixed() : current;
    }
    case "distinctCount": {
      const seen = new Set((current as { values: string[] } | undefined)?.values ?? []);
      if (value !== undefined) seen.add(JSON.stringify(value));
      return { values: [...seen].sort(), count: seen.size };
    }
    case "latest": {
      const previous = current as { at: string; value: unknown } | undefined;
      return !previous || at >= previous.at ? { at, value } : previous;
    }
    default:
      return current;
  }
}

function toDecimal(value: unknown): Decimal {
  if (typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value))) return new Decimal(value);
  throw new Error(`Cannot aggregate ${JSON.stringify(value)}: not a number`);
}

/** The value a measure reports in a summary. */
export function measureValue(accumulated: unknown): unknown {
  if (accumulated && typeof accumulated === "object" && "count" in accumulated && "values" in accumulated) return (accumulated as { count: number }).count;
  if (accumulated && typeof accumulated === "object" && "at" in accumulated && "value" in accumulated) return (accumulated as { value: unknown }).value;
  return accumulated;
}
