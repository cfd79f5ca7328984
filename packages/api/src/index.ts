export type { Actor, Context } from "./context";
export { appRouter, type AppRouter } from "./root";
export { seedWorkspace, DEFAULT_WORKSPACE, LOCAL_USER } from "./seed-workspace";
export {
  loadDemoReferenceData,
  loadTemplateCatalog,
  type FlowTemplate,
  type TemplateCatalog,
} from "./templates/template-catalog";
export { createCallerFactory } from "./trpc";
