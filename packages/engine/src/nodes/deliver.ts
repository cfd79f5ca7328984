import { contentHash } from "@meterflow/flow-spec";
import type { CompiledExpression } from "@meterflow/expressions";
import type { Item, PostingIntent } from "../engine-types";
import { evaluateOn, exceptionItem, type NodeRun, type PortOutputs, type PrepareEnv } from "../node-implementation";

interface DeliveryConfig {
  endpoint: string;
  operation: string;
  request: string;
  idempotencyKey?: string | undefined;
  /** Post only: requests with the same header (all but `lines`) are merged, up to maxLines lines each. */
  batch?: { maxLines: number };
}

/**
 * Post and Notify: a request per item, and an idempotency key from the node's expression or, by
 * default, a hash of flow version + node + endpoint operation + the item's stable id (a window key
 * for summaries), so retries and replays of the same version never post twice.
 */
export function prepareDelivery(
  kind: "post" | "notify",
  nodeId: string,
  config: DeliveryConfig,
  env: PrepareEnv,
  ports: { done: string; failed: string },
) {
  const request: CompiledExpression = env.expression(config.request);
  const keyExpression = config.idempotencyKey ? env.expression(config.idempotencyKey) : undefined;
  return (items: Item[], run: NodeRun): PortOutputs => {
    const done: Item[] = [];
    const failed: Item[] = [];
    const prepared: { item: Item; request: unknown; key: string }[] = [];
    for (const item of items) {
      const body = evaluateOn(request, item.value);
      const key = keyExpression
        ? evaluateOn(keyExpression, item.value)
        : {
            ok: true as const,
            value: contentHash([env.flowVersionHash, nodeId, config.endpoint, config.operation, item.id]).slice(7, 71),
          };
      if (!body.ok || !key.ok || typeof key.value !== "string" || key.value.length === 0 || key.value.length > 128) {
        const reason = !body.ok
          ? `Request mapping: ${body.reason}`
          : !key.ok
            ? `Idempotency key: ${key.reason}`
            : `Idempotency key must be a string of 1-128 characters, got ${JSON.stringify(key.value)}`;
        failed.push(exceptionItem(item, "erp_failure", reason));
        continue;
      }
      prepared.push({ item, request: body.value, key: key.value });
    }
    for (const group of batches(prepared, config.batch?.maxLines ?? 1)) {
      const first = group[0]!;
      const idempotencyKey = group.length === 1 ? first.key : contentHash(group.map((entry) => entry.key)).slice(7, 71);
      const request =
        group.length === 1
          ? first.request
          : {
              ...(first.request as object),
              lines: group.flatMap((entry) => (entry.request as { lines: unknown[] }).lines),
            };
      const itemIds = group.map((entry) => entry.item.id);
      const parts = group.map((entry) => ({ itemId: entry.item.id, lines: linesOf(entry.request) }));
      const events = group.flatMap((entry) => entry.item.events);
      const intent: PostingIntent = {
        nodeId,
        kind,
        endpoint: config.endpoint,
        operation: config.operation,
        idempotencyKey,
        request,
        itemId: itemIds.join(","),
        parts,
        events,
        correlationId: first.item.correlationId,
      };
      run.effects.postings.push(intent);
      run.effects.lineage.push({
        outputId: `posting:${idempotencyKey}`,
        inputIds: itemIds,
        nodeId,
        flowVersionHash: env.flowVersionHash,
      });
      done.push({ ...first.item, id: `posting:${idempotencyKey}`, value: intent, events });
    }
    return { [ports.done]: done, [ports.failed]: failed };
  };
}

/**
 * Groups requests whose header (everything but `lines`) is identical, in order of first
 * appearance, into chunks of at most `maxLines` lines. Requests without a `lines` array travel alone.
 */
function batches<T extends { request: unknown }>(entries: T[], maxLines: number): T[][] {
  if (maxLines <= 1) return entries.map((entry) => [entry]);
  const groups = new Map<string, T[][]>();
  const order: T[][] = [];
  for (const entry of entries) {
    const request = entry.request as { lines?: unknown } | null;
    if (!request || typeof request !== "object" || !Array.isArray(request.lines)) {
      order.push([entry]);
      continue;
    }
    const { lines, ...header } = request as { lines: unknown[] };
    const headerKey = contentHash(header);
    const chunks = groups.get(headerKey) ?? [];
    if (!groups.has(headerKey)) groups.set(headerKey, chunks);
    const current = chunks[chunks.length - 1];
    const lineCount =
      current?.reduce((total, member) => total + (member.request as { lines: unknown[] }).lines.length, 0) ?? 0;
    if (current && lineCount + lines.length <= maxLines) current.push(entry);
    else {
      const chunk = [entry];
      chunks.push(chunk);
      order.push(chunk);
    }
  }
  return order;
}

function linesOf(request: unknown): number {
  const lines = (request as { lines?: unknown } | null)?.lines;
  return Array.isArray(lines) ? lines.length : 1;
}
