import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  countPendingEvents,
  createFlow,
  ensureWorkspace,
  getFlow,
  partitionTotals,
  publishVersion,
  rowsOf,
  saveDraft,
  seedReferenceData,
  type Database,
  type ReferenceDataSet,
} from "@meterflow/db";
import { sql } from "drizzle-orm";
import type { FlowDocument } from "@meterflow/flow-spec";
import { createSandboxHandler, SandboxStore } from "@meterflow/erp-sandbox";
import template from "../../../../templates/metered-api-billing.json";
import demoReference from "../../../../templates/reference-data/demo.json";
import { deployVersion } from "../processing/deployments";
import { ingestEvents } from "../ingest-events";

export const WORKSPACE = "w-test";
export const OPERATOR = { id: "operator-1", name: "Operator" };

/** A workspace with the demo reference data and the metered-api-billing template published and deployed. */
export async function deployedBillingFlow(db: Database, document: unknown = template) {
  await ensureWorkspace(
    db,
    { id: WORKSPACE, name: "Test" },
    { ...OPERATOR, email: "op@example.test", roles: ["engineer", "publisher", "operator"] },
  );
  await seedReferenceData(db, WORKSPACE, demoReference as ReferenceDataSet);
  const flow = await createFlow(db, {
    workspaceId: WORKSPACE,
    document: structuredClone(document) as never,
    actor: OPERATOR,
  });
  const version = await publishVersion(db, {
    workspaceId: WORKSPACE,
    flowId: flow.id,
    actor: OPERATOR,
    changelog: "test",
  });
  const deployment = await deployVersion(db, { workspaceId: WORKSPACE, versionId: version.id, actor: OPERATOR });
  return { flow, version, deployment };
}

/** The billing template with its Aggregate keyed by each record's quantity too (as a flow grouping a tenant's usage by user would): a window per distinct quantity. */
export function windowPerQuantity() {
  const document = structuredClone(template) as typeof template;
  const aggregate = document.nodes.find((node) => node.id === "aggregate")!;
  (aggregate.config as { groupBy: { name: string; expression: string }[] }).groupBy.push({
    name: "quantity",
    expression: "quantity",
  });
  return document;
}

/** Publishes the flow's draft changed by `edit` as its next version (not deployed). */
export async function publishChangedVersion(db: Database, flowId: string, edit: (document: FlowDocument) => void) {
  const flow = await getFlow(db, WORKSPACE, flowId);
  const document = structuredClone(flow.draft);
  edit(document);
  await saveDraft(db, { workspaceId: WORKSPACE, flowId, document, expectedRevision: flow.revision, actor: OPERATOR });
  return publishVersion(db, { workspaceId: WORKSPACE, flowId, actor: OPERATOR, changelog: "test" });
}

export function apiCall(id: string, tenantId: string, calls: number, time: string) {
  return {
    specversion: "1.0",
    id,
    source: "/gateway",
    type: "com.meterflow.api.call",
    time,
    data: { tenantId, productCode: "api-calls", calls, region: "eu" },
  };
}

/** A workspace's totals as its partitions count them (runtime.stats) and as rows counted one by one: they must agree. */
export async function countersAndRows(db: Database, workspaceId = WORKSPACE) {
  const [rows] = await rowsOf<{ raw_events: string | number; usage_records: string | number }>(
    db,
    sql`select (select count(*) from events_raw where workspace_id = ${workspaceId}) as raw_events, (select count(*) from usage_records where workspace_id = ${workspaceId}) as usage_records`,
  );
  return {
    counters: await partitionTotals(db, workspaceId),
    rows: {
      rawEvents: Number(rows!.raw_events),
      pendingEvents: await countPendingEvents(db, workspaceId),
      usageRecords: Number(rows!.usage_records),
    },
  };
}

/** Ingests `count` events made by `event(i)`, in requests of 1,000 (the bench's and an SDK's batch size). */
export async function ingestMany(
  db: Database,
  count: number,
  event: (i: number) => unknown,
  workspaceId = WORKSPACE,
): Promise<void> {
  for (let start = 0; start < count; start += 1_000)
    await ingestEvents(
      db,
      workspaceId,
      Array.from({ length: Math.min(1_000, count - start) }, (_, i) => event(start + i)),
    );
}

/** The ERP sandbox on a loopback port. */
export async function startSandbox(): Promise<{ store: SandboxStore; baseUrl: string; close(): Promise<void> }> {
  const store = new SandboxStore();
  const handle = createSandboxHandler(store);
  const server: Server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    store,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
