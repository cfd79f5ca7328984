import { ConflictError, NotFoundError, refusedText, UNSTORABLE_TEXT } from "@meterflow/db";
import { ApprovalForbiddenError, RetryRefusedError } from "@meterflow/runtime";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import type { Role } from "@meterflow/db";
import type { Context } from "./context";
import { InvalidFlowError } from "@meterflow/engine";

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field problems the web app shows where they belong.
        zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
        problems: cause instanceof InvalidFlowError ? cause.problems : null,
        conflict: cause instanceof ConflictError ? cause.details : null,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** Maps the typed errors of lower layers to tRPC errors with actionable messages. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof NotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
  if (cause instanceof ConflictError) throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
  if (cause instanceof InvalidFlowError) throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
  if (cause instanceof RetryRefusedError)
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: cause.message, cause });
  if (cause instanceof ApprovalForbiddenError)
    throw new TRPCError({ code: "FORBIDDEN", message: cause.message, cause });
  if (refusedText(cause))
    throw new TRPCError({ code: "BAD_REQUEST", message: `The input contains ${UNSTORABLE_TEXT}`, cause });
  return result;
});

export const publicProcedure = t.procedure.use(domainErrors);

/** Procedures that change or read workspace data need a known actor (for the audit log). */
export const workspaceProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to use this workspace" });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

/** Procedures reserved to a role (operators act on exceptions and replays, publishers deploy). */
export const procedureFor = (role: Role) =>
  workspaceProcedure.use(({ ctx, next }) => {
    if (!ctx.actor.roles.includes(role))
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${role} role; ${ctx.actor.name} does not have it`,
      });
    return next();
  });
