import type { Database } from "@meterflow/db";
import type { Role } from "@meterflow/db";
import type { TemplateCatalog } from "./templates/template-catalog";

export interface Actor {
  id: string;
  name: string;
  roles: Role[];
}

/** Everything a procedure may use; the server builds it per request, tests build it directly. */
export interface Context {
  db: Database;
  driver: "pglite" | "postgres";
  workspaceId: string;
  actor: Actor | null;
  templates: TemplateCatalog;
}
