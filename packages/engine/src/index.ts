export { compileFlow, ConservationError, envelopeProblem, FlowCompileError, type FlowPlan } from "./compile-flow";
export * from "./engine-types";
export { memoryContext, type ReferenceData } from "./memory-context";
