import { eq } from "drizzle-orm";
import postgres from "postgres";
import { accountMap, contracts, exceptions, getFlow, openDatabase, publishVersion, runtimeWindows, saveDraft, usageSummaries } from "@meterflow/db";
import { createThrowawayDatabase } from "@meterflow/db/testing";
import { describe, expect, it } from "vitest";
import { ingestEvents } from "../ingest-events";
import { retryExceptions } from "../operations/exceptions";
import { apiCall, deployedBillingFlow, OPERATOR, WORKSPACE } from "../testing/runtime-fixture";
import { closeDueWindows } from "./close-windows";
import { deployVersion } from "./deployments";
import { processNextBatch } from "./process-events";

const serverUrl = process.env.DATABASE_URL;

describe("deploys racing with the work on a deployment's state", () => {
  // PostgreSQL only (CI sets DATABASE_URL): PGlite has one session, so nothing runs beside a batch.
  it.skipIf(!serverUrl)("a version deployed again while a batch runs on it gets the windows the batch opens: one summary of the month, with every event", async () => {
    const database = await createThrowawayDatabase(serverUrl!);
    const handle = await openDatabase({ databaseUrl: database.url });
    const other = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const { version, deployment } = await deployedBillingFlow(handle.db);
      const now = () => new Date("2027-10-10T00:00:00Z");
      await ingestEvents(handle.db, WORKSPACE, [apiCall("e1", "globex", 7, "2027-09-03T10:00:00Z")]);
      await processNextBatch(handle.db, { now });
      // The first event of October: the batch opens the month's window.
      await ingestEvents(handle.db, WORKSPACE, [apiCall("e2", "globex", 5, "2027-10-04T10:00:00Z")]);

      // Another transaction holds e2's dedupe key, so the batch stops just before it commits.
      const holder = await other.reserve();
      await holder`begin`;
      await holder`insert into dedupe_keys (deployment_id, node_id, key, expires_at_ms) values (${deployment.id}, 'dedupe', '/gateway/e2', 0)`;
      const waiting = async (count: number) => {
        const [row] = await holder<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
        return row!.n >= count;
      };
      const batch = processNextBatch(handle.db, { now });
      await expect.poll(() => waiting(1)).toBe(true);
      // The deploy either waits for the batch or lets it run again under the new deployment.
      let deployed = false;
      const deploying = deployVersion(handle.db, { workspaceId: WORKSPACE, versionId: version.id, actor: OPERATOR }).then((result) => ((deployed = true), result));
      await expect.poll(async () => deployed || (await waiting(2))).toBe(true);
      await holder`rollback`;
      holder.release();
      await Promise.all([batch, deploying]);
      await ingestEvents(handle.db, WORKSPACE, [apiCall("e3", "globex", 3, "2027-10-05T10:00:00Z")]);
      await processNextBatch(handle.db, { now });

      await closeDueWindows(handle.db, { now: new Date("2027-11-01T02:00:00Z") });
      const october = await handle.db.select({ count: usageSummaries.eventCount, quantity: usageSummaries.quantity }).from(usageSummaries).where(eq(usageSummaries.ratingPeriod, "2027-10"));
      expect(october).toEqual([{ count: 2, quantity: "8" }]);
    } finally {
      await other.end();
      await handle.close();
      await database.drop();
    }
  });

  it.skipIf(!serverUrl)("a deploy that takes over windows while the scheduler closes them: the month is summarised once, by the new version", async () => {
    const database = await createThrowawayDatabase(serverUrl!);
    const handle = await openDatabase({ databaseUrl: database.url });
    const other = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const { flow, deployment } = await deployedBillingFlow(handle.db);
      await ingestEvents(handle.db, WORKSPACE, [apiCall("s1", "globex", 7, "2027-09-03T10:00:00Z")]);
      await processNextBatch(handle.db, { now: () => new Date("2027-09-10T00:00:00Z") });
      const draft = await getFlow(handle.db, WORKSPACE, flow.id);
      await saveDraft(handle.db, { workspaceId: WORKSPACE, flowId: flow.id, document: { ...draft.draft, metadata: { ...draft.draft.metadata, description: "v2" } }, expectedRevision: draft.revision, actor: OPERATOR });
      const second = await publishVersion(handle.db, { workspaceId: WORKSPACE, flowId: flow.id, actor: OPERATOR, changelog: "v2" });

      // A deploy of v2 in progress, as deployVersion does it: the old deployment stopped, the new
      // one in, September's window moved to it; not committed yet.
      const deploy = await other.reserve();
      await deploy`begin`;
      await deploy`update deployments set status = 'stopped', stopped_at = now() where id = ${deployment.id}`;
      const [replacement] = await deploy<{ id: string }[]>`insert into deployments (workspace_id, flow_id, flow_version_id, deployed_by) values (${WORKSPACE}, ${flow.id}, ${second.id}, ${OPERATOR}) returning id`;
      await deploy`update runtime_windows set deployment_id = ${replacement!.id} where deployment_id = ${deployment.id}`;
      await deploy`update runtime_watermarks set deployment_id = ${replacement!.id} where deployment_id = ${deployment.id}`;
      const closing = closeDueWindows(handle.db, { now: new Date("2027-10-01T02:00:00Z") });
      await expect
        .poll(async () => (await deploy<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n)
        .toBe(1);
      await deploy`commit`;
      deploy.release();
      await closing;

      // The window went with the deploy; closing it again summarises it once, under v2.
      await closeDueWindows(handle.db, { now: new Date("2027-10-01T02:00:00Z") });
      const september = await handle.db.select({ count: usageSummaries.eventCount, version: usageSummaries.flowVersionId }).from(usageSummaries).where(eq(usageSummaries.ratingPeriod, "2027-09"));
      expect(september).toEqual([{ count: 1, version: second.id }]);
    } finally {
      await other.end();
      await handle.close();
      await database.drop();
    }
  });

  it.skipIf(!serverUrl)("a retry while a deploy takes over the flow's state writes its window under the new deployment", async () => {
    const database = await createThrowawayDatabase(serverUrl!);
    const handle = await openDatabase({ databaseUrl: database.url });
    const other = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const { flow, deployment } = await deployedBillingFlow(handle.db);
      const now = new Date("2027-09-10T00:00:00Z");
      await ingestEvents(handle.db, WORKSPACE, [apiCall("r1", "umbrella", 7, "2027-09-03T10:00:00Z")]);
      await processNextBatch(handle.db, { now: () => now });
      const [unmatched] = await handle.db.select().from(exceptions).where(eq(exceptions.kind, "unmatched_account"));
      await handle.db.insert(accountMap).values({ workspaceId: WORKSPACE, tenantId: "umbrella", erpAccountId: "ERP-1001", name: "Umbrella" });
      await handle.db.insert(contracts).values({ workspaceId: WORKSPACE, contractId: "C-UMB", tenantId: "umbrella", priceList: "api-calls-standard", region: "eu", currency: "EUR", startsOn: "2026-01-01", entitlements: [] });
      const draft = await getFlow(handle.db, WORKSPACE, flow.id);
      await saveDraft(handle.db, { workspaceId: WORKSPACE, flowId: flow.id, document: { ...draft.draft, metadata: { ...draft.draft.metadata, description: "v2" } }, expectedRevision: draft.revision, actor: OPERATOR });
      const second = await publishVersion(handle.db, { workspaceId: WORKSPACE, flowId: flow.id, actor: OPERATOR, changelog: "v2" });

      // A deploy of v2 in progress: the old deployment stopped, the new one in, not committed yet.
      const deploy = await other.reserve();
      await deploy`begin`;
      await deploy`update deployments set status = 'stopped', stopped_at = now() where id = ${deployment.id}`;
      const [replacement] = await deploy<{ id: string }[]>`insert into deployments (workspace_id, flow_id, flow_version_id, deployed_by) values (${WORKSPACE}, ${flow.id}, ${second.id}, ${OPERATOR}) returning id`;
      let retried = false;
      const retrying = retryExceptions(handle.db, { workspaceId: WORKSPACE, ids: [unmatched!.id], actor: OPERATOR, now }).then((result) => ((retried = true), result));
      await expect
        .poll(async () => retried || (await deploy<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)[0]!.n === 1)
        .toBe(true);
      await deploy`commit`;
      deploy.release();
      expect((await retrying)[0]).toMatchObject({ outcome: "resolved" });

      const windows = await handle.db.select({ deploymentId: runtimeWindows.deploymentId }).from(runtimeWindows).where(eq(runtimeWindows.partitionKey, "umbrella"));
      expect(windows).toEqual([{ deploymentId: replacement!.id }]);
    } finally {
      await other.end();
      await handle.close();
      await database.drop();
    }
  });
});
