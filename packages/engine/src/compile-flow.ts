import { fullFormats } from "ajv-formats/dist/formats.js";
import { compile, syntaxProblem, type CompiledExpression } from "@meterflow/expressions";
import {
  contentHash,
  nodeTypeSpec,
  validateFlow,
  type FlowDocument,
  type FlowNode,
  type OutputPort,
  type Problem,
} from "@meterflow/flow-spec";
import {
  eventKey,
  type CloudEvent,
  type Effects,
  type EngineContext,
  type Item,
  type NodeTrace,
  type RunOptions,
  type WindowState,
} from "./engine-types";
import type { NodeProcessor, PortOutputs, PrepareEnv } from "./node-implementation";
import { measureValue } from "./nodes/aggregate";
import { nodeImplementations } from "./nodes/index";
import { durationMs, strictInstantMs, windowOf } from "./time-windows";

export class FlowCompileError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      `The flow cannot run: ${problems
        .filter((p) => p.severity === "error")
        .map((p) => `${p.path}: ${p.message}`)
        .join("; ")}`,
    );
  }
}

/** An event left unaccounted for: a bug in a node, never an input problem. */
export class ConservationError extends Error {}

export interface FlowPlan {
  /** The document's content hash: the plan's identity. */
  readonly hash: string;
  readonly document: FlowDocument;
  run(batch: readonly unknown[], context: EngineContext, options?: RunOptions): Effects;
  /** Emits the aggregate windows closed at the watermark (or all, with `all`) through the nodes downstream. */
  closeWindows(context: EngineContext, options?: RunOptions & { watermark?: string; all?: boolean }): Effects;
  /** Whether a source node of the flow takes this event. */
  accepts(event: Pick<CloudEvent, "type" | "source">): boolean;
  /** Runs items into a node and on downstream: retrying an exception where it was raised. */
  resume(nodeId: string, items: Item[], context: EngineContext, options?: RunOptions): Effects;
  /** Sends items out of a node's port and on downstream: releasing an approved item. */
  emit(nodeId: string, port: string, items: Item[], context: EngineContext, options?: RunOptions): Effects;
}

interface PlannedNode {
  node: FlowNode;
  process: NodeProcessor;
  outputs: Map<string, OutputPort>;
  targets: Map<string, { node: string; port: string }[]>;
}

export function compileFlow(input: unknown): FlowPlan {
  const validated = validateFlow(input, { checkExpression: syntaxProblem });
  if (!validated.ok) throw new FlowCompileError(validated.problems);
  const document = validated.document;
  const hash = contentHash(document);
  const expressions = new Map<string, CompiledExpression>();
  const env: PrepareEnv = {
    flowVersionHash: hash,
    expression: (source) => {
      let compiled = expressions.get(source);
      if (!compiled) expressions.set(source, (compiled = compile(source)));
      return compiled;
    },
  };

  const planned = new Map<string, PlannedNode>();
  for (const node of document.nodes) {
    const implementation = nodeImplementations[node.type] as {
      prepare(node: FlowNode, env: PrepareEnv): NodeProcessor;
    };
    const outputs = new Map(
      nodeTypeSpec(node.type)
        .outputs(node.config as never)
        .map((port) => [port.name, port]),
    );
    planned.set(node.id, { node, process: implementation.prepare(node, env), outputs, targets: new Map() });
  }
  for (const edge of document.edges) {
    const targets = planned.get(edge.source.node)!.targets;
    if (!targets.has(edge.source.port)) targets.set(edge.source.port, []);
    targets.get(edge.source.port)!.push(edge.target);
  }
  const order = topologicalOrder(document);
  const sources = order.filter((id) => planned.get(id)!.node.type === "source.events");
  const sourceAccepts = (id: string, event: Pick<CloudEvent, "type" | "source">) => {
    const source = planned.get(id)!.node;
    return (
      source.type === "source.events" &&
      source.config.eventTypes.includes(event.type) &&
      (source.config.sources.length === 0 || source.config.sources.includes(event.source))
    );
  };
  const plannedNode = (nodeId: string) => {
    const found = planned.get(nodeId);
    if (!found) throw new Error(`Flow ${hash} has no node "${nodeId}"`);
    return found;
  };

  const execute = (
    inputs: Map<string, Item[]>,
    context: EngineContext,
    effects: Effects,
    options: RunOptions,
    accounted: Set<string>,
  ) => {
    const samples = options.traceSamples ?? 20;
    for (const id of order) {
      const items = inputs.get(id);
      if (!items || items.length === 0) continue;
      const { node, process, outputs, targets } = planned.get(id)!;
      const emitted: PortOutputs = process(items, { context, effects, flowVersionHash: hash });
      if (options.trace) effects.traces!.push(traceOf(id, items, emitted, samples));
      for (const [port, out] of Object.entries(emitted)) {
        const declared = outputs.get(port);
        const next = declared ? targets.get(port) : undefined;
        // The first node to put an item on a failure port is where a retry resumes.
        for (const item of out)
          if (item.exception && item.exception.raisedBy === undefined) item.exception.raisedBy = id;
        if (next && next.length > 0) {
          for (const target of next) {
            const queued = inputs.get(target.node);
            // Appended one by one: spreading a batch into push() fails past ~125,000 items.
            if (queued) for (const item of out) queued.push(item);
            else inputs.set(target.node, out.slice());
          }
          continue;
        }
        for (const item of out) {
          if (item.exception) {
            effects.exceptions.push({
              kind: item.exception.kind,
              reason: item.exception.reason,
              nodeId: id,
              raisedBy: item.exception.raisedBy ?? id,
              itemId: item.id,
              correlationId: item.correlationId,
              events: item.events,
              payload: item.value,
            });
          } else if (node.type === "route") {
            effects.exceptions.push({
              kind: "routing",
              reason: `Route "${id}" sent it to output "${port}", which is not connected`,
              nodeId: id,
              raisedBy: id,
              itemId: item.id,
              correlationId: item.correlationId,
              events: item.events,
              payload: item.value,
            });
          } else {
            item.events.forEach((key) => accounted.add(key));
          }
        }
      }
    }
  };

  return {
    hash,
    document,
    run(batch, context, options = {}) {
      const effects = emptyEffects(hash, options);
      const accounted = new Set<string>();
      const keys: string[] = [];
      const seed = new Map<string, Item[]>(sources.map((id) => [id, []]));
      const usedKeys = new Set<string>();
      batch.forEach((raw, index) => {
        const problem = envelopeProblem(raw);
        const event = raw as CloudEvent;
        const identity = problem ? `batch[${index}]` : eventKey(event);
        // A repeat of (source, id) inside one batch is tracked on its own, so each entry has one outcome.
        const key = usedKeys.has(identity) ? `${identity}~${index}` : identity;
        usedKeys.add(key);
        keys.push(key);
        if (problem) {
          effects.exceptions.push({
            kind: "invalid_event",
            reason: problem,
            nodeId: "ingestion",
            raisedBy: "ingestion",
            itemId: key,
            correlationId: key,
            events: [key],
            payload: raw,
          });
          return;
        }
        // A repeat (a test run's input may hold an event twice) is correlated by its own key.
        const item: Item = { id: key, value: event, events: [key], correlationId: correlationIdOf(event, key) };
        let accepted = false;
        for (const id of sources) {
          if (sourceAccepts(id, event)) {
            seed.get(id)!.push(item);
            accepted = true;
          }
        }
        if (!accepted) {
          effects.exceptions.push({
            kind: "routing",
            reason: `No source node of this flow accepts type "${event.type}" from "${event.source}"`,
            nodeId: "ingestion",
            raisedBy: "ingestion",
            itemId: key,
            correlationId: item.correlationId,
            events: [key],
            payload: event,
          });
        }
      });
      execute(seed, context, effects, options, accounted);
      // A validated record counts even when nothing downstream consumes it; other consumers
      // (aggregates, held approvals, postings) account for their items through their ports.
      for (const record of effects.records) record.events.forEach((key) => accounted.add(key));
      const failed = new Set(effects.exceptions.flatMap((exception) => exception.events));
      const duplicated = new Set(effects.duplicates.flatMap((duplicate) => duplicate.events));
      for (const key of keys) {
        if (failed.has(key)) effects.outcomes.push({ event: key, outcome: "exception" });
        else if (duplicated.has(key)) effects.outcomes.push({ event: key, outcome: "duplicate" });
        else if (accounted.has(key)) effects.outcomes.push({ event: key, outcome: "validated" });
        else
          throw new ConservationError(
            `Event ${key} ended neither validated, a duplicate nor an exception in flow ${hash}`,
          );
      }
      return effects;
    },
    closeWindows(context, options = {}) {
      const effects = emptyEffects(hash, options);
      const seed = new Map<string, Item[]>();
      for (const id of order) {
        const { node, targets } = planned.get(id)!;
        if (node.type !== "aggregate") continue;
        const watermark = options.watermark ?? context.windows.watermark(id);
        const graceMs = durationMs(node.config.grace);
        const closing = context.windows
          .list(id)
          .filter(
            (window) =>
              options.all || (watermark !== undefined && Date.parse(window.end) + graceMs <= Date.parse(watermark)),
          )
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        const items = closing.map((window) => summaryItem(id, window, node.config.period));
        for (const window of closing) {
          effects.summaries.push({ nodeId: id, window });
          context.windows.delete(id, window.key);
        }
        for (const target of targets.get("out") ?? [])
          seed.set(target.node, [...(seed.get(target.node) ?? []), ...items]);
      }
      execute(seed, context, effects, options, new Set());
      return effects;
    },
    accepts: (event) => sources.some((id) => sourceAccepts(id, event)),
    resume(nodeId, items, context, options = {}) {
      plannedNode(nodeId);
      const effects = emptyEffects(hash, options);
      execute(new Map([[nodeId, items]]), context, effects, options, new Set());
      return effects;
    },
    emit(nodeId, port, items, context, options = {}) {
      const { outputs, targets } = plannedNode(nodeId);
      if (!outputs.has(port)) throw new Error(`Node "${nodeId}" has no output port "${port}"`);
      const effects = emptyEffects(hash, options);
      const seed = new Map<string, Item[]>();
      for (const target of targets.get(port) ?? []) seed.set(target.node, [...(seed.get(target.node) ?? []), ...items]);
      execute(seed, context, effects, options, new Set());
      return effects;
    },
  };
}

function summaryItem(nodeId: string, window: WindowState, period: "hour" | "day" | "month"): Item {
  const measures = Object.fromEntries(
    Object.entries(window.measures).map(([name, value]) => [name, measureValue(value)]),
  );
  return {
    id: `${nodeId}:${window.key}`,
    value: {
      ...window.group,
      ...measures,
      windowStart: window.start,
      windowEnd: window.end,
      ratingPeriod: windowOf(window.start, period).label,
      eventCount: window.count,
      sourceEventRange: {
        firstEventTime: window.firstEventTime,
        lastEventTime: window.lastEventTime,
        count: window.count,
        digest: window.digest,
      },
    },
    events: [],
    correlationId: `${nodeId}:${window.key}`,
  };
}

function emptyEffects(hash: string, options: RunOptions): Effects {
  return {
    flowVersionHash: hash,
    outcomes: [],
    records: [],
    windowUpdates: [],
    summaries: [],
    postings: [],
    approvals: [],
    exceptions: [],
    duplicates: [],
    lineage: [],
    ...(options.trace ? { traces: [] } : {}),
  };
}

/** Why a value is not a usable CloudEvents 1.0 event, or undefined when it is. */
export function envelopeProblem(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return "Not a CloudEvent: expected a JSON object";
  const event = raw as Record<string, unknown>;
  // Written to allocate nothing and read each member once for a valid event: this runs for every
  // event twice (ingestion, processing); Object.entries alone cost 0.4 µs an event (measured).
  if (!nonEmpty(event.specversion) || !nonEmpty(event.id) || !nonEmpty(event.source) || !nonEmpty(event.type))
    return requiredAttributeProblem(event);
  if (event.specversion !== "1.0")
    return `Unsupported CloudEvents specversion ${JSON.stringify(event.specversion)}; expected "1.0"`;
  if (!isUriReference(event.source as string))
    return `source ${JSON.stringify(event.source)} is not a URI reference (RFC 3986: no spaces, and other characters percent-encoded)`;
  for (const name in event) {
    const value = event[name];
    switch (name) {
      case "specversion":
      case "id":
      case "source":
      case "type":
      case "data":
        break;
      case "subject":
      case "time":
      case "datacontenttype":
      case "dataschema":
      case "data_base64":
      case "traceparent":
        if (typeof value !== "string") return `${name} must be a string, not ${JSON.stringify(value)}`;
        break;
      default:
        if (!EXTENSION_NAME.test(name))
          return `Attribute ${JSON.stringify(name)}: CloudEvents attribute names are lowercase letters and digits only`;
        if (value !== null && typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
          return `Extension attribute ${name} must be a string, number or boolean, not ${Array.isArray(value) ? "an array" : "an object"}`;
        }
    }
  }
  const time = event.time as string | undefined;
  if (
    time !== undefined &&
    strictInstantMs(time) === undefined &&
    (!RFC_3339.test(time) || Number.isNaN(Date.parse(time)))
  )
    return `time ${JSON.stringify(time)} is not an RFC 3339 timestamp`;
  if (event.dataschema !== undefined && !isUri(event.dataschema as string))
    return `dataschema ${JSON.stringify(event.dataschema)} is not an absolute URI`;
  if (event.data !== undefined && event.data_base64 !== undefined)
    return "An event carries either data or data_base64, not both";
  if (event.traceparent !== undefined && !TRACEPARENT.test(event.traceparent as string)) {
    return `traceparent ${JSON.stringify(event.traceparent)} is not a W3C trace context (00-<32 hex>-<16 hex>-<2 hex>)`;
  }
  return undefined;
}

function requiredAttributeProblem(event: Record<string, unknown>): string {
  const missing = REQUIRED_ATTRIBUTES.filter((name) => event[name] === undefined || event[name] === null);
  if (missing.length > 0) return `Not a CloudEvent: missing ${missing.join(", ")}`;
  const notText = REQUIRED_ATTRIBUTES.find((name) => !nonEmpty(event[name]))!;
  return `${notText} must be a non-empty string, not ${JSON.stringify(event[notText])}`;
}

// The same rules as the CloudEvent@1 schema in @meterflow/canonical (a test keeps them agreeing),
// with ajv-formats' URI rules, as the schema's validator has them.
const REQUIRED_ATTRIBUTES = ["specversion", "id", "source", "type"] as const;
const EXTENSION_NAME = /^[a-z0-9]+$/;
const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const URI_REFERENCE = fullFormats["uri-reference"] as RegExp;
const isUri = fullFormats.uri as (value: string) => boolean;
/** Sources checked already: a producer sends many events from few sources, and the expression costs 0.1 µs or more. */
const validSources = new Set<string>();
function isUriReference(source: string): boolean {
  if (validSources.has(source)) return true;
  if (!URI_REFERENCE.test(source)) return false;
  if (validSources.size >= 1_000) validSources.clear();
  validSources.add(source);
  return true;
}

function nonEmpty(value: unknown): boolean {
  return typeof value === "string" && value.length > 0;
}

/** The W3C trace id of an event's `traceparent`, when it carries one: the correlation id across systems. */
export function traceIdOf(event: Record<string, unknown>): string | undefined {
  const parts = typeof event.traceparent === "string" ? event.traceparent.split("-") : [];
  return parts.length === 4 && parts[1] ? parts[1] : undefined;
}

/** What an event's records, postings and exceptions are correlated by: its trace id, else its key. */
export function correlationIdOf(event: CloudEvent, key = eventKey(event)): string {
  return traceIdOf(event) ?? key;
}

function topologicalOrder(document: FlowDocument): string[] {
  const indegree = new Map(document.nodes.map((node) => [node.id, 0]));
  for (const edge of document.edges) indegree.set(edge.target.node, (indegree.get(edge.target.node) ?? 0) + 1);
  const ready = document.nodes.filter((node) => indegree.get(node.id) === 0).map((node) => node.id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const edge of document.edges) {
      if (edge.source.node !== id) continue;
      const remaining = indegree.get(edge.target.node)! - 1;
      indegree.set(edge.target.node, remaining);
      if (remaining === 0) ready.push(edge.target.node);
    }
  }
  return order;
}

function traceOf(nodeId: string, items: Item[], emitted: PortOutputs, samples: number): NodeTrace {
  return {
    nodeId,
    received: items.length,
    emitted: Object.fromEntries(Object.entries(emitted).map(([port, out]) => [port, out.length])),
    samplesIn: items.slice(0, samples).map((item) => item.value),
    samplesOut: Object.fromEntries(
      Object.entries(emitted).map(([port, out]) => [
        port,
        out
          .slice(0, samples)
          .map((item) => (item.exception ? { exception: item.exception, value: item.value } : item.value)),
      ]),
    ),
  };
}
