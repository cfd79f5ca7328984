import type { AppRouter } from "@meterflow/api";
import type { Problem } from "@meterflow/flow-spec";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export function createApiClient() {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: "/trpc", transformer: superjson })] });
}

/** The server's flattened problems / conflict details, when a mutation fails on them. */
export interface ApiErrorData {
  problems?: Problem[] | null;
  conflict?: { currentRevision?: number; updatedBy?: string } | null;
}
