import { createFlow, ensureWorkspace, listFlows, seedReferenceData, type Database, type ReferenceDataSet } from "@meterflow/db";
import type { TemplateCatalog } from "./templates/template-catalog";

export const DEFAULT_WORKSPACE = { id: "default", name: "Default workspace" };
export const LOCAL_USER = { id: "local-engineer", name: "Local engineer", email: "engineer@localhost", roles: ["engineer", "reviewer", "publisher", "operator", "admin"] as const };

/**
 * First start: the default workspace, its local user, demo reference data (customers, contracts,
 * price lists) when given, and the seed flow from the first template.
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
  const flow = await createFlow(db, { workspaceId: DEFAULT_WORKSPACE.id, document: template.document, actor: "system", templateId: template.id });
  return { seededFlowId: flow.id };
}
