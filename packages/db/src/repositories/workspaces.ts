import type { Database } from "../open-database";
import { users, workspaces, type Role } from "../schema";

/** Creates the workspace and user if they do not exist yet (first start), and returns them. */
export async function ensureWorkspace(
  db: Database,
  workspace: { id: string; name: string },
  owner: { id: string; name: string; email: string; roles: Role[] },
): Promise<void> {
  await db.insert(workspaces).values(workspace).onConflictDoNothing();
  await db
    .insert(users)
    .values({ ...owner, workspaceId: workspace.id })
    .onConflictDoNothing();
}
