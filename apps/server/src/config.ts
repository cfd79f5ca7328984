import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

const configSchema = z.object({
  PORT: z.coerce
    .number({ error: "PORT must be a number" })
    .int()
    .min(0, "PORT must be 0-65535")
    .max(65535, "PORT must be 0-65535")
    .default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  METERFLOW_DATA_DIR: z.string().min(1).optional(),
  METERFLOW_WEB_DIST: z.string().min(1).default(resolve(repoRoot, "apps/web/dist")),
  METERFLOW_TEMPLATES_DIR: z.string().min(1).default(resolve(repoRoot, "templates")),
  METERFLOW_MAX_BODY_BYTES: z.coerce
    .number({ error: "METERFLOW_MAX_BODY_BYTES must be a number" })
    .int()
    .positive()
    .default(5 * 1024 * 1024),
  METERFLOW_MAX_BATCH_EVENTS: z.coerce
    .number({ error: "METERFLOW_MAX_BATCH_EVENTS must be a number" })
    .int()
    .positive()
    .default(1000),
  METERFLOW_INGEST_RATE: z.coerce.number({ error: "METERFLOW_INGEST_RATE must be a number" }).positive().default(5000),
  METERFLOW_INGEST_BURST: z.coerce
    .number({ error: "METERFLOW_INGEST_BURST must be a number" })
    .positive()
    .default(20000),
  /** Where the erp-sandbox@1 endpoint is; by default the sandbox this server mounts at /erp. */
  METERFLOW_ERP_URL: z.url({ error: "METERFLOW_ERP_URL must be a URL such as http://127.0.0.1:4100" }).optional(),
  /** "off" runs the designer and ingestion without processing (e.g. a front-door-only process). */
  METERFLOW_RUNTIME: z.enum(["on", "off"], { error: "METERFLOW_RUNTIME must be on or off" }).default("on"),
  METERFLOW_WORKERS: z.coerce
    .number({ error: "METERFLOW_WORKERS must be a number" })
    .int()
    .min(1, "METERFLOW_WORKERS must be 1-16")
    .max(16, "METERFLOW_WORKERS must be 1-16")
    .default(2),
  /** A NATS server whose JetStream stream this process also takes events from (the high-volume front door); unset = HTTP only. */
  METERFLOW_NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\/\S+$/, "METERFLOW_NATS_URL must look like nats://127.0.0.1:4222")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  METERFLOW_NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "METERFLOW_NATS_STREAM must be letters, digits, _ or -")
    .default("METERFLOW_EVENTS"),
  /** npm sets INIT_CWD to where `npm start` was typed; the data folder defaults to there. */
  INIT_CWD: z.string().optional(),
});

export type ServerConfig = {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  webDist: string;
  templatesDir: string;
  ingest: { maxBodyBytes: number; maxBatchEvents: number; eventsPerSecond: number; burst: number };
  erpUrl: string | undefined;
  runtime: boolean;
  workers: number;
  nats: { url: string; stream: string } | undefined;
};

/** Reads and checks the environment once; a bad value stops the server with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`Invalid configuration ${String(issue.path[0])}: ${issue.message}`);
  }
  const config = parsed.data;
  const workingDir = config.INIT_CWD ?? process.cwd();
  return {
    port: config.PORT,
    host: config.HOST,
    databaseUrl: config.DATABASE_URL,
    dataDir: resolve(workingDir, config.METERFLOW_DATA_DIR ?? ".data"),
    webDist: resolve(config.METERFLOW_WEB_DIST),
    templatesDir: resolve(config.METERFLOW_TEMPLATES_DIR),
    ingest: {
      maxBodyBytes: config.METERFLOW_MAX_BODY_BYTES,
      maxBatchEvents: config.METERFLOW_MAX_BATCH_EVENTS,
      eventsPerSecond: config.METERFLOW_INGEST_RATE,
      burst: config.METERFLOW_INGEST_BURST,
    },
    erpUrl: config.METERFLOW_ERP_URL,
    runtime: config.METERFLOW_RUNTIME === "on",
    workers: config.METERFLOW_WORKERS,
    nats: config.METERFLOW_NATS_URL
      ? { url: config.METERFLOW_NATS_URL, stream: config.METERFLOW_NATS_STREAM }
      : undefined,
  };
}
