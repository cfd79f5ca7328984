import { contentHash } from "@meterflow/flow-spec";
import type { CompiledExpression } from "@meterflow/expressions";
import type { Item, PostingIntent } from "../engine-types";
import { evaluateOn, exceptionItem, type NodeRun, type PortOutputs, type PrepareEnv } from "../node-implementation";

interface DeliveryConfig {
  endpoint: string;
  operation: string;
  request: string;
  idempotencyKey?: string | undefined;
}

/**
 * Post and Notify: a request per item, and an idempotency key from the node's expression or, by
 * default, a hash of flow version + node + endpoint operation + the item's stable id (a window key
 * for summaries), so retries and replays of the same version never post twice.
 */
export function prepareDelivery(kind: "post" | "notify", nodeId: string, config: DeliveryConfig, env: PrepareEnv, ports: { done: string; failed: string }) {
  const request: CompiledExpression = env.expression(config.request);
  const keyExpression = config.idempotencyKey ? env.expression(config.idempotencyKey) : undefined;
  return (items: Item[], run: NodeRun): PortOutputs => {
    const done: Item[] = [];
    const failed: Item[] = [];
    for (const item of items) {
      const body = evaluateOn(request, item.value);
      const key = keyExpression
        ? evaluateOn(keyExpression, item.value)
        : { ok: true as const, value: contentHash([env.flowVersionHash, nodeId, config.endpoint, config.operation, item.id]).slice(7, 71) };
      if (!body.ok || !key.ok || typeof key.value !== "string" || key.value.length === 0 || key.value.length > 128) {
        const reason = !body.ok ? `Request mapping: ${body.reason}` : !key.ok ? `Idempotency key: ${key.reason}` : `Idempotency key must be a string of 1-128 characters, got ${JSON.stringify(key.value)}`;
        failed.push(exceptionItem(item, "erp_failure", reason));
        continue;
      }
      const intent: PostingIntent = { nodeId, kind, endpoint: config.endpoint, operation: config.operation, idempotencyKey: key.value, request: body.value, itemId: item.id, events: item.events, correlationId: item.correlationId };
      run.effects.postings.push(intent);
      run.effects.lineage.push({ outputId: `posting:${key.value}`, inputIds: [item.id], nodeId, flowVersionHash: env.flowVersionHash });
      done.push({ ...item, id: `posting:${key.value}`, value: intent });
    }
    return { [ports.done]: done, [ports.failed]: failed };
  };
}
