import { eq } from "drizzle-orm";
import postgres from "postgres";
import {
  accountMap,
  contracts,
  exceptions,
  openDatabase,
  runtimeWindows,
  usageSummaries,
  type DatabaseHandle,
} from "@meterflow/db";
import { createThrowawayDatabase } from "@meterflow/db/testing";
import { describe, expect, it } from "vitest";
import { ingestEvents } from "../ingest-events";
import { retryExceptions } from "../operations/exceptions";
import { apiCall, deployedBillingFlow, OPERATOR, publishChangedVersion, WORKSPACE } from "../testing/runtime-fixture";
import { closeDueWindows } from "./close-windows";
import { deployVersion, type Deployment } from "./deployments";
import { processNextBatch } from "./process-events";

const serverUrl = process.env.DATABASE_URL;

/** A throwaway PostgreSQL database with the billing flow deployed, and a session of its own beside the runtime's. */
async function onServer(
  test: (
    setup: { handle: DatabaseHandle; session: postgres.ReservedSql } & Awaited<ReturnType<typeof deployedBillingFlow>>,
  ) => Promise<void>,
) {
  const database = await createThrowawayDatabase(serverUrl!);
  const handle = await openDatabase({ databaseUrl: database.url });
  const other = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    const session = await other.reserve();
    try {
      await test({ handle, session, ...(await deployedBillingFlow(handle.db)) });
    } finally {
      session.release();
    }
  } finally {
    await other.end();
    await handle.close();
    await database.drop();
  }
}

/** Whether at least `count` sessions of the database wait for a lock. */
async function waitingForLocks(session: postgres.ReservedSql, count: number): Promise<boolean> {
  const [row] = await session<
    { n: number }[]
  >`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
  return row!.n >= count;
}

/** A deploy of `versionId` in progress in `session`, as deployVersion does it (the old deployment stopped, the new one in, windows and watermarks moved), not committed. */
async function deployInProgress(session: postgres.ReservedSql, from: Deployment, versionId: string): Promise<string> {
  await session`begin`;
  await session`update deployments set status = 'stopped', stopped_at = now() where id = ${from.id}`;
  const [replacement] = await session<
    { id: string }[]
  >`insert into deployments (workspace_id, flow_id, flow_version_id, deployed_by) values (${WORKSPACE}, ${from.flowId}, ${versionId}, ${OPERATOR.id}) returning id`;
  await session`update runtime_windows set deployment_id = ${replacement!.id} where deployment_id = ${from.id}`;
  await session`update runtime_watermarks set deployment_id = ${replacement!.id} where deployment_id = ${from.id}`;
  return replacement!.id;
}

const secondVersion = (handle: DatabaseHandle, flowId: string) =>
  publishChangedVersion(handle.db, flowId, (document) => void (document.metadata.description = "v2"));

// PostgreSQL only (CI sets DATABASE_URL): PGlite has one session, so nothing runs beside a deploy.
describe("deploys racing with the work on a deployment's state", () => {
  it.skipIf(!serverUrl)(
    "a version deployed again while a batch runs on it gets the windows the batch opens: one summary of the month, with every event",
    () =>
      onServer(async ({ handle, session, version, deployment }) => {
        const now = () => new Date("2027-10-10T00:00:00Z");
        await ingestEvents(handle.db, WORKSPACE, [apiCall("e1", "globex", 7, "2027-09-03T10:00:00Z")]);
        await processNextBatch(handle.db, { now });
        // The first event of October: the batch opens the month's window.
        await ingestEvents(handle.db, WORKSPACE, [apiCall("e2", "globex", 5, "2027-10-04T10:00:00Z")]);

        // Another transaction holds e2's usage-record key, so the batch stops just before it commits.
        await session`begin`;
        await session`insert into usage_records (workspace_id, flow_version_id, node_id, record_key, tenant_id, metric, quantity, rating_period, correlation_id, payload)
        values (${WORKSPACE}, ${deployment.flowVersionId}, 'map', 'map:/gateway#e2', 'globex', 'api_calls', 0, '2027-10', 'held', '{}')`;
        const batch = processNextBatch(handle.db, { now });
        await expect.poll(() => waitingForLocks(session, 1)).toBe(true);
        // The deploy either waits for the batch or lets it run again under the new deployment.
        let deployed = false;
        const deploying = deployVersion(handle.db, {
          workspaceId: WORKSPACE,
          versionId: version.id,
          actor: OPERATOR,
        }).then((result) => ((deployed = true), result));
        await expect.poll(async () => deployed || (await waitingForLocks(session, 2))).toBe(true);
        await session`rollback`;
        await Promise.all([batch, deploying]);
        await ingestEvents(handle.db, WORKSPACE, [apiCall("e3", "globex", 3, "2027-10-05T10:00:00Z")]);
        await processNextBatch(handle.db, { now });

        await closeDueWindows(handle.db, { now: new Date("2027-11-01T02:00:00Z") });
        const october = await handle.db
          .select({ count: usageSummaries.eventCount, quantity: usageSummaries.quantity })
          .from(usageSummaries)
          .where(eq(usageSummaries.ratingPeriod, "2027-10"));
        expect(october).toEqual([{ count: 2, quantity: "8" }]);
      }),
  );

  it.skipIf(!serverUrl)(
    "a deploy that takes over windows while the scheduler closes them: the month is summarised once, by the new version",
    () =>
      onServer(async ({ handle, session, flow, deployment }) => {
        await ingestEvents(handle.db, WORKSPACE, [apiCall("s1", "globex", 7, "2027-09-03T10:00:00Z")]);
        await processNextBatch(handle.db, { now: () => new Date("2027-09-10T00:00:00Z") });
        const second = await secondVersion(handle, flow.id);

        await deployInProgress(session, deployment, second.id);
        const closing = closeDueWindows(handle.db, { now: new Date("2027-10-01T02:00:00Z") });
        await expect.poll(() => waitingForLocks(session, 1)).toBe(true);
        await session`commit`;
        await closing;

        // The window went with the deploy; closing it again summarises it once, under v2.
        await closeDueWindows(handle.db, { now: new Date("2027-10-01T02:00:00Z") });
        const september = await handle.db
          .select({ count: usageSummaries.eventCount, version: usageSummaries.flowVersionId })
          .from(usageSummaries)
          .where(eq(usageSummaries.ratingPeriod, "2027-09"));
        expect(september).toEqual([{ count: 1, version: second.id }]);
      }),
  );

  it.skipIf(!serverUrl)(
    "a retry while a deploy takes over the flow's state writes its window under the new deployment",
    () =>
      onServer(async ({ handle, session, flow, deployment }) => {
        const now = new Date("2027-09-10T00:00:00Z");
        await ingestEvents(handle.db, WORKSPACE, [apiCall("r1", "umbrella", 7, "2027-09-03T10:00:00Z")]);
        await processNextBatch(handle.db, { now: () => now });
        const [unmatched] = await handle.db.select().from(exceptions).where(eq(exceptions.kind, "unmatched_account"));
        await handle.db
          .insert(accountMap)
          .values({ workspaceId: WORKSPACE, tenantId: "umbrella", erpAccountId: "ERP-1001", name: "Umbrella" });
        await handle.db.insert(contracts).values({
          workspaceId: WORKSPACE,
          contractId: "C-UMB",
          tenantId: "umbrella",
          priceList: "api-calls-standard",
          region: "eu",
          currency: "EUR",
          startsOn: "2026-01-01",
          entitlements: [],
        });
        const second = await secondVersion(handle, flow.id);

        const replacement = await deployInProgress(session, deployment, second.id);
        let retried = false;
        const retrying = retryExceptions(handle.db, {
          workspaceId: WORKSPACE,
          ids: [unmatched!.id],
          actor: OPERATOR,
          now,
        }).then((result) => ((retried = true), result));
        await expect.poll(async () => retried || (await waitingForLocks(session, 1))).toBe(true);
        await session`commit`;
        expect((await retrying)[0]).toMatchObject({ outcome: "resolved" });

        const windows = await handle.db
          .select({ deploymentId: runtimeWindows.deploymentId })
          .from(runtimeWindows)
          .where(eq(runtimeWindows.partitionKey, "umbrella"));
        expect(windows).toEqual([{ deploymentId: replacement }]);
      }),
  );
});
