export { createSandboxHandler } from "./sandbox-http";
export { DEMO_CUSTOMERS, SandboxStore, type FaultSettings, type Invoice } from "./sandbox-store";
