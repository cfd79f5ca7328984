import { and, desc, eq, max } from "drizzle-orm";
import { ConflictError, NotFoundError } from "../errors";
import type { Database } from "../open-database";
import { flows, flowVersions } from "../schema";
import { appendAudit, type AuditActor } from "./audit-log";

export type FlowVersion = typeof flowVersions.$inferSelect;
export type FlowVersionSummary = Omit<FlowVersion, "document">;

const summaryColumns = {
  id: flowVersions.id,
  flowId: flowVersions.flowId,
  number: flowVersions.number,
  contentHash: flowVersions.contentHash,
  state: flowVersions.state,
  author: flowVersions.author,
  changelog: flowVersions.changelog,
  createdAt: flowVersions.createdAt,
  publishedAt: flowVersions.publishedAt,
};

export async function listVersions(db: Database, workspaceId: string, flowId: string): Promise<FlowVersionSummary[]> {
  return db
    .select(summaryColumns)
    .from(flowVersions)
    .innerJoin(flows, eq(flows.id, flowVersions.flowId))
    .where(and(eq(flows.workspaceId, workspaceId), eq(flowVersions.flowId, flowId)))
    .orderBy(desc(flowVersions.number));
}

export async function getVersion(db: Database, workspaceId: string, versionId: string): Promise<FlowVersion> {
  const [row] = await db
    .select({ version: flowVersions })
    .from(flowVersions)
    .innerJoin(flows, eq(flows.id, flowVersions.flowId))
    .where(and(eq(flows.workspaceId, workspaceId), eq(flowVersions.id, versionId)));
  if (!row) throw new NotFoundError("Flow version", versionId);
  return row.version;
}

/**
 * Snapshots the current draft as the next numbered, content-hashed, immutable version.
 * The flow row is locked so concurrent publishes get consecutive numbers; publishing a draft
 * identical to the latest version is refused, since it would change nothing.
 */
export async function publishVersion(
  db: Database,
  input: { workspaceId: string; flowId: string; actor: AuditActor; changelog: string; expectedRevision?: number },
): Promise<FlowVersion> {
  return db.transaction(async (tx) => {
    const [flow] = await tx
      .select()
      .from(flows)
      .where(and(eq(flows.workspaceId, input.workspaceId), eq(flows.id, input.flowId)))
      .for("update");
    if (!flow) throw new NotFoundError("Flow", input.flowId);
    if (input.expectedRevision !== undefined && flow.revision !== input.expectedRevision) {
      throw new ConflictError(
        `The draft has changed since revision ${input.expectedRevision} (now ${flow.revision}, by ${flow.updatedBy}); review it before publishing`,
        {
          currentRevision: flow.revision,
        },
      );
    }
    const [latest] = await tx
      .select({ number: flowVersions.number, contentHash: flowVersions.contentHash })
      .from(flowVersions)
      .where(eq(flowVersions.flowId, flow.id))
      .orderBy(desc(flowVersions.number))
      .limit(1);
    if (latest && latest.contentHash === flow.draftHash) {
      throw new ConflictError(
        `The draft is identical to version ${latest.number}; change something before publishing a new version`,
        { version: latest.number },
      );
    }
    const [{ highest } = { highest: 0 }] = await tx
      .select({ highest: max(flowVersions.number) })
      .from(flowVersions)
      .where(eq(flowVersions.flowId, flow.id));
    const [version] = await tx
      .insert(flowVersions)
      .values({
        flowId: flow.id,
        number: (highest ?? 0) + 1,
        document: flow.draft,
        contentHash: flow.draftHash,
        state: "published",
        author: input.actor.id,
        changelog: input.changelog,
        publishedAt: new Date(),
      })
      .returning();
    await appendAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "flow_version.published",
      entityType: "flow",
      entityId: flow.id,
      details: {
        versionId: version!.id,
        number: version!.number,
        contentHash: version!.contentHash,
        changelog: input.changelog,
      },
    });
    return version!;
  });
}
