import {
  createFlow,
  ensureWorkspace,
  listFlows,
  publishVersion,
  seedReferenceData,
  SYSTEM_ACTOR,
  type Database,
  type ReferenceDataSet,
} from "@meterflow/db";
import { deployVersion } from "./processing/deployments";
import type { TemplateCatalog } from "./templates/template-catalog";

export const DEFAULT_WORKSPACE = { id: "default", name: "Default workspace" };
export const LOCAL_USER = {
  id: "local-engineer",
  name: "Local engineer",
  email: "engineer@localhost",
  roles: ["engineer", "reviewer", "publisher", "operator", "finance", "admin"] as const,
};

/**
 * First start: the default workspace, its local user, demo reference data (customers, contracts,
 * price lists) when given, and the seed flow from the first template, published as version 1
 * and deployed, so the first event sent is processed end to end.
 */
export async function seedWorkspace(
  db: Database,
  templates: TemplateCatalog,
  seedTemplateId = "metered-api-billing",
  referenceData?: ReferenceDataSet,
): Promise<{ seededFlowId: string | null }> {
  await ensureWorkspace(db, DEFAULT_WORKSPACE, { ...LOCAL_USER, roles: [...LOCAL_USER.roles] });
  if (referenceData) await seedReferenceData(db, DEFAULT_WORKSPACE.id, referenceData);
  if ((await listFlows(db, DEFAULT_WORKSPACE.id)).length > 0) return { seededFlowId: null };
  const template = templates.find((candidate) => candidate.id === seedTemplateId);
  if (!template) return { seededFlowId: null };
  const flow = await createFlow(db, {
    workspaceId: DEFAULT_WORKSPACE.id,
    document: template.document,
    actor: SYSTEM_ACTOR,
    templateId: template.id,
  });
  const version = await publishVersion(db, {
    workspaceId: DEFAULT_WORKSPACE.id,
    flowId: flow.id,
    actor: SYSTEM_ACTOR,
    changelog: "Seeded from the template at first start",
  });
  await deployVersion(db, { workspaceId: DEFAULT_WORKSPACE.id, versionId: version.id, actor: SYSTEM_ACTOR });
  return { seededFlowId: flow.id };
}
