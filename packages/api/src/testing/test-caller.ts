import { fileURLToPath } from "node:url";
import type { DatabaseHandle } from "@meterflow/db";
import type { Actor, Context } from "../context";
import { appRouter } from "../root";
import {
  DEFAULT_WORKSPACE,
  LOCAL_USER,
  loadDemoReferenceData,
  loadTemplateCatalog,
  seedWorkspace,
} from "@meterflow/runtime";
import { createCallerFactory } from "../trpc";

const templatesFolder = fileURLToPath(new URL("../../../../templates", import.meta.url));
export const repoTemplates = loadTemplateCatalog(templatesFolder);
const demoReferenceData = loadDemoReferenceData(templatesFolder)!;
const createCaller = createCallerFactory(appRouter);

/** A caller on a seeded database, acting as `actor` (the local user unless told otherwise). */
export async function testCaller(handle: DatabaseHandle, options: { runtime?: Context["runtime"] } = {}) {
  await seedWorkspace(handle.db, repoTemplates, "none", demoReferenceData);
  const as = (actor: Actor | null) =>
    createCaller({
      db: handle.db,
      driver: handle.driver,
      workspaceId: DEFAULT_WORKSPACE.id,
      actor,
      templates: repoTemplates,
      ...(options.runtime ? { runtime: options.runtime } : {}),
    });
  return { caller: as({ ...LOCAL_USER, roles: [...LOCAL_USER.roles] }), as };
}
