import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { canonicalJson } from "@meterflow/flow-spec";
import Decimal from "decimal.js";
import { z } from "zod";

const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string such as "12.50"');

export const invoiceRequest = z.object({
  customer: z.string().min(1, "name the customer"),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR"),
  lines: z
    .array(
      z.object({
        item: z.string().min(1, "name the item"),
        description: z.string().default(""),
        quantity: decimalString,
        amount: decimalString,
      }),
    )
    .min(1, "an invoice needs at least one line"),
});
export type InvoiceRequest = z.infer<typeof invoiceRequest>;

export const revenueScheduleRequest = z.object({
  invoiceId: z.string().min(1),
  entries: z.array(z.object({ period: z.string().regex(/^\d{4}-\d{2}$/), amount: decimalString })).min(1),
});

export const faultSettings = z.object({
  /** Share of requests answered 500 before anything is stored. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Added to every answer. */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Share of requests never answered (the caller's timeout fires). */
  timeoutRate: z.number().min(0).max(1).default(0),
  /** Share of invoice requests that commit, then drop the connection without an answer. */
  dropAfterCommitRate: z.number().min(0).max(1).default(0),
  /** Requests per second allowed before 429 with Retry-After. */
  quotaPerSecond: z.number().int().min(1).max(100_000).default(50),
  /** Exact faults for the next write requests, in order (for tests and demos), before the rates apply. */
  script: z.array(z.enum(["error", "timeout", "drop_after_commit", "quota"])).default([]),
});
export type FaultSettings = z.infer<typeof faultSettings>;
export type ScriptedFault = FaultSettings["script"][number];

export interface Invoice {
  id: string;
  number: number;
  customer: string;
  currency: string;
  lines: { lineNo: number; item: string; description: string; quantity: string; amount: string }[];
  total: string;
  status: "open";
  idempotencyKey: string;
  createdAt: string;
}

interface Customer {
  id: string;
  name: string;
}

interface StoredState {
  customers: Customer[];
  invoices: Invoice[];
  /** Idempotency key -> hash of the request body it was first used with. */
  keys: Record<string, { bodyHash: string; invoiceId: string }>;
  revenueSchedules: { id: string; invoiceId: string; period: string; amount: string }[];
}

export type CreateInvoiceResult =
  | { status: 201 | 200; invoice: Invoice; replayed: boolean }
  | { status: 400 | 422; error: string; code: string };

export const DEMO_CUSTOMERS: Customer[] = [
  { id: "ERP-1001", name: "ACME Analytics" },
  { id: "ERP-1002", name: "Globex Corp" },
  { id: "ERP-1003", name: "Initech" },
];

/**
 * The sandbox ERP's books. Kept in memory, and in a JSON file when given one, so invoices
 * survive a restart of `npm start`.
 */
export class SandboxStore {
  private state: StoredState;
  faults: FaultSettings = faultSettings.parse({});
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly options: { dataFile?: string; customers?: Customer[]; now?: () => number } = {}) {
    const fresh: StoredState = {
      customers: options.customers ?? DEMO_CUSTOMERS,
      invoices: [],
      keys: {},
      revenueSchedules: [],
    };
    this.state =
      options.dataFile && existsSync(options.dataFile)
        ? (JSON.parse(readFileSync(options.dataFile, "utf8")) as StoredState)
        : fresh;
    this.tokens = this.faults.quotaPerSecond;
    this.refilledAt = this.now();
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  get customers(): readonly Customer[] {
    return this.state.customers;
  }

  get invoices(): readonly Invoice[] {
    return this.state.invoices;
  }

  get revenueSchedules() {
    return this.state.revenueSchedules;
  }

  addCustomer(customer: Customer): void {
    if (!this.state.customers.some((existing) => existing.id === customer.id)) this.state.customers.push(customer);
    this.save();
  }

  invoiceByKey(idempotencyKey: string): Invoice | undefined {
    const entry = this.state.keys[idempotencyKey];
    return entry ? this.state.invoices.find((invoice) => invoice.id === entry.invoiceId) : undefined;
  }

  /** Idempotent invoice creation: a replay returns the original, a reuse with another body is refused. */
  createInvoice(idempotencyKey: string | undefined, body: unknown): CreateInvoiceResult {
    if (!idempotencyKey)
      return {
        status: 400,
        code: "idempotency_key_required",
        error: "Send an Idempotency-Key header: invoices are only created idempotently",
      };
    const parsed = invoiceRequest.safeParse(body);
    if (!parsed.success) {
      return {
        status: 422,
        code: "invalid_invoice",
        error: parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; "),
      };
    }
    const bodyHash = createHash("sha256").update(canonicalJson(parsed.data)).digest("hex");
    const previous = this.state.keys[idempotencyKey];
    if (previous) {
      if (previous.bodyHash !== bodyHash) {
        return {
          status: 422,
          code: "idempotency_key_reused",
          error: `Idempotency-Key ${idempotencyKey} was used for a different invoice (${previous.invoiceId}); use a new key for a new invoice`,
        };
      }
      return { status: 200, invoice: this.invoiceByKey(idempotencyKey)!, replayed: true };
    }
    if (!this.state.customers.some((customer) => customer.id === parsed.data.customer)) {
      return {
        status: 422,
        code: "unknown_customer",
        error: `Customer ${parsed.data.customer} does not exist in the ERP`,
      };
    }
    const number = this.state.invoices.length + 1;
    const lines = parsed.data.lines.map((line, index) => ({ lineNo: index + 1, ...line }));
    const invoice: Invoice = {
      id: `INV-${String(number).padStart(6, "0")}`,
      number,
      customer: parsed.data.customer,
      currency: parsed.data.currency,
      lines,
      total: lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0)).toFixed(2),
      status: "open",
      idempotencyKey,
      createdAt: new Date(this.now()).toISOString(),
    };
    this.state.invoices.push(invoice);
    this.state.keys[idempotencyKey] = { bodyHash, invoiceId: invoice.id };
    this.save();
    return { status: 201, invoice, replayed: false };
  }

  addRevenueSchedule(
    body: unknown,
  ): { status: 201; entries: StoredState["revenueSchedules"] } | { status: 422; error: string } {
    const parsed = revenueScheduleRequest.safeParse(body);
    if (!parsed.success)
      return {
        status: 422,
        error: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
      };
    if (!this.state.invoices.some((invoice) => invoice.id === parsed.data.invoiceId))
      return { status: 422, error: `Invoice ${parsed.data.invoiceId} does not exist` };
    const entries = parsed.data.entries.map((entry, index) => ({
      id: `${parsed.data.invoiceId}-R${index + 1}`,
      invoiceId: parsed.data.invoiceId,
      ...entry,
    }));
    this.state.revenueSchedules = [
      ...this.state.revenueSchedules.filter((entry) => entry.invoiceId !== parsed.data.invoiceId),
      ...entries,
    ];
    this.save();
    return { status: 201, entries };
  }

  setFaults(input: unknown): FaultSettings {
    this.faults = faultSettings.parse({ ...this.faults, ...(input as object) });
    this.tokens = Math.min(this.tokens, this.faults.quotaPerSecond);
    return this.faults;
  }

  /** The fault this write request meets, if any: scripted ones first, then the configured rates. */
  nextFault(random: () => number = Math.random): ScriptedFault | undefined {
    const scripted = this.faults.script.shift();
    if (scripted) return scripted;
    if (!this.takeQuotaToken()) return "quota";
    if (random() < this.faults.timeoutRate) return "timeout";
    if (random() < this.faults.errorRate) return "error";
    if (random() < this.faults.dropAfterCommitRate) return "drop_after_commit";
    return undefined;
  }

  /** Seconds until the quota has a token again. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(1 / this.faults.quotaPerSecond));
  }

  reset(): void {
    this.state = { customers: this.options.customers ?? DEMO_CUSTOMERS, invoices: [], keys: {}, revenueSchedules: [] };
    this.faults = faultSettings.parse({});
    this.tokens = this.faults.quotaPerSecond;
    this.save();
  }

  private takeQuotaToken(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.faults.quotaPerSecond,
      this.tokens + ((now - this.refilledAt) / 1000) * this.faults.quotaPerSecond,
    );
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private save(): void {
    if (!this.options.dataFile) return;
    const temporary = `${this.options.dataFile}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.state));
    renameSync(temporary, this.options.dataFile);
  }
}
