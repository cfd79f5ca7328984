import { fileURLToPath } from "node:url";
import type { DatabaseHandle } from "@meterflow/db";
import type { Actor } from "../context";
import { appRouter } from "../root";
import { DEFAULT_WORKSPACE, LOCAL_USER, seedWorkspace } from "../seed-workspace";
import { loadTemplateCatalog } from "../templates/template-catalog";
import { createCallerFactory } from "../trpc";

export const repoTemplates = loadTemplateCatalog(fileURLToPath(new URL("../../../../templates", import.meta.url)));
const createCaller = createCallerFactory(appRouter);

/** A caller on a seeded database, acting as `actor` (the local user unless told otherwise). */
export async function testCaller(handle: DatabaseHandle) {
  await seedWorkspace(handle.db, repoTemplates, "none");
  const as = (actor: Actor | null) =>
    createCaller({ db: handle.db, driver: handle.driver, workspaceId: DEFAULT_WORKSPACE.id, actor, templates: repoTemplates });
  return { caller: as({ ...LOCAL_USER, roles: [...LOCAL_USER.roles] }), as };
}
