export {
  compileFlow,
  ConservationError,
  correlationIdOf,
  envelopeProblem,
  FlowCompileError,
  traceIdOf,
  type FlowPlan,
} from "./compile-flow";
export * from "./engine-types";
export { memoryContext, type ReferenceData } from "./memory-context";
export { durationMs, strictInstantMs, windowOf } from "./time-windows";
export { checkFlow, flowProblems, InvalidFlowError } from "./check-flow";
