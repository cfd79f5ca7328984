export type { Actor, Context } from "./context";
export { appRouter, type AppRouter } from "./root";
export { createCallerFactory } from "./trpc";
