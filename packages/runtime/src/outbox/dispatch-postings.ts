import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { exceptions, postings, type Database, type PostingAttempt } from "@meterflow/db";
import { historyAppend } from "../exception-history";
import { createRateLimiter } from "../rate-limiter";

/** Where an endpoint reference of a flow (e.g. erp-sandbox@1) sends its operations. */
export interface Endpoint {
  baseUrl: string;
  operations: Record<string, { method: "POST" | "PUT"; path: string }>;
  /** Requests per second this endpoint accepts from us. */
  ratePerSecond?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
}
export type EndpointRegistry = Record<string, Endpoint>;

export function erpSandboxEndpoint(baseUrl: string): Endpoint {
  return {
    baseUrl,
    operations: {
      createInvoice: { method: "POST", path: "/invoices" },
      createRevenueSchedule: { method: "POST", path: "/revenue-schedules" },
    },
    ratePerSecond: 20,
    timeoutMs: 5_000,
  };
}

export interface DispatcherOptions {
  endpoints: EndpointRegistry;
  now?: () => number;
  fetch?: typeof fetch;
  random?: () => number;
  /** Postings claimed per tick. */
  batchSize?: number;
  /** How long a claimed posting is ours before another process may take it over. */
  leaseMs?: number;
  maxBackoffMs?: number;
  breaker?: { failureThreshold: number; cooldownMs: number };
  initialDelayMs?: number;
}

export interface DispatchReport {
  claimed: number;
  posted: number;
  retrying: number;
  failed: number;
  deferred: number;
}

type Outcome =
  | { kind: "posted"; documentId: string | null }
  | { kind: "retry"; reason: string; retryAfterMs?: number; breakerFailure: boolean }
  | { kind: "permanent"; reason: string };

/**
 * The outbox dispatcher: claims due postings (FOR UPDATE SKIP LOCKED, then a lease), calls the
 * endpoint with the idempotency key as a header, records every request and response, retries
 * network errors, timeouts, 5xx and 429 with exponential backoff and jitter (honouring
 * Retry-After), spaces calls per endpoint and stops calling an endpoint while its circuit is open.
 * After the posting's last attempt, or on a refusal no retry can fix, it becomes an erp_failure
 * exception an operator can retry.
 */
export function createDispatcher(db: Database, options: DispatcherOptions) {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const leaseMs = options.leaseMs ?? 60_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  const breakerPolicy = options.breaker ?? { failureThreshold: 5, cooldownMs: 30_000 };
  const initialDelayMs = options.initialDelayMs ?? 500;
  const limiters = new Map<string, ReturnType<typeof createRateLimiter>>();
  const breakers = new Map<string, { failures: number; openUntil: number }>();

  const limiterFor = (name: string, endpoint: Endpoint) => {
    let limiter = limiters.get(name);
    if (!limiter) {
      const perSecond = endpoint.ratePerSecond ?? 20;
      limiters.set(name, (limiter = createRateLimiter({ perSecond, burst: Math.max(1, Math.ceil(perSecond)), now })));
    }
    return limiter;
  };

  async function deliver(
    posting: typeof postings.$inferSelect,
    endpoint: Endpoint,
  ): Promise<{ outcome: Outcome; attempt: PostingAttempt }> {
    const operation = endpoint.operations[posting.operation]!;
    const url = `${endpoint.baseUrl.replace(/\/$/, "")}${operation.path}`;
    const headers = {
      "content-type": "application/json",
      "idempotency-key": posting.idempotencyKey,
      "x-correlation-id": encodeURIComponent(posting.correlationId ?? posting.id),
      ...endpoint.headers,
    };
    const started = now();
    const request = { method: operation.method, url, headers, body: posting.request };
    try {
      const response = await doFetch(url, {
        method: operation.method,
        headers,
        body: JSON.stringify(posting.request),
        signal: AbortSignal.timeout(endpoint.timeoutMs ?? 10_000),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON: kept as text in the audit record.
      }
      const attempt: PostingAttempt = {
        at: new Date(started).toISOString(),
        request,
        response: { status: response.status, headers: Object.fromEntries(response.headers), body },
        durationMs: now() - started,
      };
      if (response.ok) {
        const document = body as { id?: unknown; documentId?: unknown } | null;
        const documentId =
          typeof document?.id === "string"
            ? document.id
            : typeof document?.documentId === "string"
              ? document.documentId
              : null;
        return { outcome: { kind: "posted", documentId }, attempt };
      }
      const reason = `${response.status} ${typeof body === "object" && body && "error" in body ? String((body as { error: unknown }).error) : text.slice(0, 200)}`;
      if (response.status === 429)
        return {
          outcome: {
            kind: "retry",
            reason,
            retryAfterMs: retryAfterMs(response.headers.get("retry-after"), now()),
            breakerFailure: false,
          },
          attempt,
        };
      if (response.status >= 500 || response.status === 408)
        return { outcome: { kind: "retry", reason, breakerFailure: true }, attempt };
      return { outcome: { kind: "permanent", reason }, attempt };
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      const reason =
        error instanceof Error && error.name === "TimeoutError"
          ? `no answer within ${endpoint.timeoutMs ?? 10_000} ms`
          : `network error: ${(error as Error).message}${cause ? ` (${cause})` : ""}`;
      return {
        outcome: { kind: "retry", reason, breakerFailure: true },
        attempt: { at: new Date(started).toISOString(), request, error: reason, durationMs: now() - started },
      };
    }
  }

  async function claim(limit: number) {
    return db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(postings)
        .where(and(inArray(postings.status, ["pending", "delivering"]), lte(postings.nextAttemptAt, new Date(now()))))
        .orderBy(asc(postings.nextAttemptAt))
        .limit(limit)
        .for("update", { skipLocked: true });
      if (due.length > 0) {
        await tx
          .update(postings)
          .set({ status: "delivering", nextAttemptAt: new Date(now() + leaseMs), updatedAt: new Date(now()) })
          .where(
            inArray(
              postings.id,
              due.map((posting) => posting.id),
            ),
          );
      }
      return due;
    });
  }

  async function defer(postingId: string, untilMs: number, reason: string) {
    await db
      .update(postings)
      .set({ status: "pending", nextAttemptAt: new Date(untilMs), lastError: reason, updatedAt: new Date(now()) })
      .where(eq(postings.id, postingId));
  }

  async function record(
    posting: typeof postings.$inferSelect,
    outcome: Outcome,
    attempt: PostingAttempt,
  ): Promise<"posted" | "retrying" | "failed"> {
    const attempts = posting.attempts + 1;
    const common = {
      attempts,
      lastResponse: attempt.response ?? { error: attempt.error },
      attemptLog: sql`${postings.attemptLog} || ${JSON.stringify([attempt])}::jsonb`,
      updatedAt: new Date(now()),
    };
    if (outcome.kind === "posted") {
      await db.transaction(async (tx) => {
        await tx
          .update(postings)
          .set({ ...common, status: "posted", erpDocumentId: outcome.documentId, lastError: null })
          .where(eq(postings.id, posting.id));
        const entry = {
          at: new Date(now()).toISOString(),
          actor: "runtime",
          action: "resolved",
          comment: `posted as ${outcome.documentId ?? "a document"}`,
        };
        await tx
          .update(exceptions)
          .set({ status: "resolved", history: historyAppend(entry), updatedAt: new Date(now()) })
          .where(and(eq(exceptions.postingId, posting.id), eq(exceptions.status, "retrying")));
      });
      return "posted";
    }
    if (outcome.kind === "retry" && attempts < posting.maxAttempts) {
      const backoff = Math.min(maxBackoffMs, initialDelayMs * 2 ** (attempts - 1));
      const delay = Math.max(outcome.retryAfterMs ?? 0, backoff / 2 + random() * (backoff / 2));
      await db
        .update(postings)
        .set({ ...common, status: "pending", nextAttemptAt: new Date(now() + delay), lastError: outcome.reason })
        .where(eq(postings.id, posting.id));
      return "retrying";
    }
    const reason =
      outcome.kind === "permanent"
        ? `The endpoint refused the posting: ${outcome.reason}`
        : `Gave up after ${attempts} attempts: ${outcome.reason}`;
    await db.transaction(async (tx) => {
      await tx
        .update(postings)
        .set({ ...common, status: "failed", lastError: reason })
        .where(eq(postings.id, posting.id));
      const entry = { at: new Date(now()).toISOString(), actor: "runtime", action: "raised", comment: reason };
      const [reopened] = await tx
        .update(exceptions)
        .set({ status: "open", reason, history: historyAppend(entry), updatedAt: new Date(now()) })
        .where(and(eq(exceptions.postingId, posting.id), eq(exceptions.kind, "erp_failure")))
        .returning({ id: exceptions.id });
      if (!reopened) {
        await tx.insert(exceptions).values({
          workspaceId: posting.workspaceId,
          kind: "erp_failure",
          reason,
          flowVersionId: posting.flowVersionId,
          deploymentId: posting.deploymentId,
          nodeId: posting.nodeId,
          raisedBy: posting.nodeId,
          itemId: `posting:${posting.idempotencyKey}`,
          postingId: posting.id,
          correlationId: posting.correlationId,
          payload: {
            endpoint: posting.endpoint,
            operation: posting.operation,
            idempotencyKey: posting.idempotencyKey,
            request: posting.request,
          },
          history: [entry],
        });
      }
    });
    return "failed";
  }

  return {
    /** Delivers what is due once; the runtime calls it on an interval. */
    async tick(): Promise<DispatchReport> {
      const report: DispatchReport = { claimed: 0, posted: 0, retrying: 0, failed: 0, deferred: 0 };
      const claimed = await claim(options.batchSize ?? 20);
      report.claimed = claimed.length;
      const byEndpoint = new Map<string, typeof claimed>();
      for (const posting of claimed)
        byEndpoint.set(posting.endpoint, [...(byEndpoint.get(posting.endpoint) ?? []), posting]);
      await Promise.all(
        [...byEndpoint].map(async ([name, queue]) => {
          const endpoint = options.endpoints[name];
          for (const posting of queue) {
            if (!endpoint || !endpoint.operations[posting.operation]) {
              const reason = endpoint
                ? `Endpoint ${name} has no operation "${posting.operation}"`
                : `No endpoint "${name}" is configured in this runtime`;
              report[
                await record(
                  posting,
                  { kind: "permanent", reason },
                  {
                    at: new Date(now()).toISOString(),
                    request: { method: "POST", url: name, headers: {}, body: posting.request },
                    error: reason,
                    durationMs: 0,
                  },
                )
              ] += 1;
              continue;
            }
            const breaker = breakers.get(name) ?? { failures: 0, openUntil: 0 };
            breakers.set(name, breaker);
            if (breaker.openUntil > now()) {
              await defer(
                posting.id,
                breaker.openUntil,
                `Circuit open for ${name} after ${breaker.failures} consecutive failures`,
              );
              report.deferred += 1;
              continue;
            }
            const slot = limiterFor(name, endpoint).take(name, 1);
            if (!slot.ok) {
              await defer(posting.id, now() + slot.retryAfterSeconds * 1000, `Rate limit for ${name}`);
              report.deferred += 1;
              continue;
            }
            const { outcome, attempt } = await deliver(posting, endpoint);
            if (outcome.kind === "retry" && outcome.breakerFailure) {
              breaker.failures += 1;
              if (breaker.failures >= breakerPolicy.failureThreshold)
                breaker.openUntil = now() + breakerPolicy.cooldownMs;
            } else if (outcome.kind === "posted") {
              breaker.failures = 0;
              breaker.openUntil = 0;
            }
            report[await record(posting, outcome, attempt)] += 1;
          }
        }),
      );
      return report;
    },
    circuit(name: string) {
      const breaker = breakers.get(name);
      return breaker && breaker.openUntil > now()
        ? { state: "open" as const, failures: breaker.failures, openUntil: new Date(breaker.openUntil).toISOString() }
        : { state: "closed" as const, failures: breaker?.failures ?? 0 };
    },
  };
}

/** Retry-After is seconds or an HTTP date. */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
