import type { ExceptionKind } from "@meterflow/flow-spec";

/** A CloudEvents 1.0 event as the engine receives it (structured mode, parsed). */
export interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  data?: unknown;
  [extension: string]: unknown;
}

/** Identity of a raw event: dedup is by (source, id). */
export function eventKey(event: Pick<CloudEvent, "source" | "id">): string {
  return `${event.source}#${event.id}`;
}

/** The ids an event key may hold: a source may itself contain "#", so every split is a candidate. */
export function eventIdsIn(key: string): string[] {
  const ids: string[] = [];
  for (let at = key.indexOf("#"); at >= 0; at = key.indexOf("#", at + 1)) ids.push(key.slice(at + 1));
  return ids;
}

/** The raw event identity of an item's event token (a repeat inside one batch is `key~index`). */
export function eventIdentity(token: string): string {
  const at = token.lastIndexOf("~");
  return at > 0 && /^\d+$/.test(token.slice(at + 1)) ? token.slice(0, at) : token;
}

/** What travels between nodes: a value plus where it came from. */
export interface Item {
  id: string;
  value: unknown;
  /** Keys of the raw events this item derives from. */
  events: string[];
  correlationId: string;
  /** Set on items travelling an exception port. */
  exception?: { kind: ExceptionKind; reason: string; raisedBy?: string };
}

export type EventOutcome = "validated" | "duplicate" | "exception";

export interface ExceptionEffect {
  kind: ExceptionKind;
  reason: string;
  /** The node that recorded it (an Exception node, or the node whose port was not connected). */
  nodeId: string;
  /** The node that found the problem: a retry resumes there with the payload. */
  raisedBy: string;
  itemId: string;
  /** The item's correlation id (the event's W3C trace id, else its key): follows it into operations. */
  correlationId: string;
  events: string[];
  payload: unknown;
}

export interface RecordEffect {
  nodeId: string;
  /** Canonical type of a Map node's output, e.g. UsageRecord@1. */
  type: string;
  id: string;
  payload: unknown;
  events: string[];
  correlationId: string;
}

/**
 * An open aggregate window. It keeps no list of events (a month can hold millions): a count,
 * the first and last event times and an order-independent digest of the event ids, so the same
 * events give the same state however they were split into batches.
 */
export interface WindowState {
  key: string;
  group: Record<string, unknown>;
  start: string;
  end: string;
  measures: Record<string, unknown>;
  count: number;
  firstEventTime: string;
  lastEventTime: string;
  digest: string;
}

export interface WindowUpdate extends WindowState {
  nodeId: string;
  /** Event tokens added to the window by this batch (its lineage). */
  added: string[];
}

export interface PostingIntent {
  nodeId: string;
  kind: "post" | "notify";
  endpoint: string;
  operation: string;
  idempotencyKey: string;
  request: unknown;
  itemId: string;
  /** The items merged into this request, in order, and how many request lines each contributed. */
  parts: { itemId: string; lines: number }[];
  events: string[];
  correlationId: string;
}

export interface ApprovalRequest {
  nodeId: string;
  itemId: string;
  approverRole: string;
  payload: unknown;
  events: string[];
}

export interface LineageLink {
  outputId: string;
  inputIds: string[];
  nodeId: string;
  flowVersionHash: string;
  pricingRuleVersion?: string;
}

export interface NodeTrace {
  nodeId: string;
  received: number;
  emitted: Record<string, number>;
  samplesIn: unknown[];
  samplesOut: Record<string, unknown[]>;
}

export interface Effects {
  flowVersionHash: string;
  /** One per input event, in batch order: how it ended. `event` is its key (repeats get `~index`). */
  outcomes: { event: string; outcome: EventOutcome }[];
  records: RecordEffect[];
  windowUpdates: WindowUpdate[];
  summaries: { nodeId: string; window: WindowState }[];
  postings: PostingIntent[];
  approvals: ApprovalRequest[];
  exceptions: ExceptionEffect[];
  duplicates: { nodeId: string; key: string; events: string[] }[];
  lineage: LineageLink[];
  traces?: NodeTrace[];
}

export interface PriceList {
  name: string;
  version: number;
  region: string;
  currency: string;
  includedUnits: string;
  tiers: { upTo: string | null; unitPrice: string }[];
}

/** Everything outside the engine: reference data, state and the clock, behind interfaces. */
export interface EngineContext {
  lookup(table: "account" | "product" | "contract" | "priceList", key: string): Record<string, unknown> | undefined;
  priceList(name: string, region: string | undefined, at: string): PriceList | undefined;
  dedupe: {
    /**
     * Events come from a store that keeps each (source, id) once and hands each to a flow once
     * (the runtime's events_raw): a key that is an event's own identity cannot repeat, so a
     * Dedupe node neither asks about nor remembers it. Unset where one input may hold an event
     * twice (a designer test run).
     */
    uniqueEvents?: boolean;
    /** True if the key was seen and its window (epoch ms) has not expired at `atMs`. */
    seen(nodeId: string, key: string, atMs: number): boolean;
    remember(nodeId: string, key: string, expiresAtMs: number): void;
  };
  windows: {
    get(nodeId: string, key: string): WindowState | undefined;
    set(nodeId: string, window: WindowState): void;
    delete(nodeId: string, key: string): void;
    list(nodeId: string): WindowState[];
    watermark(nodeId: string): string | undefined;
    setWatermark(nodeId: string, at: string): void;
  };
}

export interface RunOptions {
  trace?: boolean;
  /** Items kept per node and port in a trace. Default 20. */
  traceSamples?: number;
}
