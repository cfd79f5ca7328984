import type { IncomingMessage, ServerResponse } from "node:http";
import { ZodError } from "zod";
import type { Invoice, SandboxStore } from "./sandbox-store";

const MAX_BODY_BYTES = 1_000_000;
/** A "timeout" fault holds the request this long (longer than any sane client timeout), then closes it. */
const HELD_REQUEST_MS = 120_000;

/**
 * The sandbox's HTTP API, mountable under a prefix (the server mounts it at /erp):
 * GET / (a page of invoices), GET|POST /invoices, GET /invoices/:id, GET|POST /customers,
 * GET|POST /revenue-schedules, GET|PUT /faults, POST /reset.
 */
export function createSandboxHandler(store: SandboxStore, options: { prefix?: string; random?: () => number } = {}) {
  const prefix = options.prefix ?? "";
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://sandbox");
    const path = url.pathname.slice(prefix.length) || "/";
    const method = request.method ?? "GET";
    try {
      if (method === "GET" && (path === "/" || path === "/index.html"))
        return sendHtml(response, renderPage(store, prefix));
      if (path === "/invoices" && method === "GET") {
        const key = url.searchParams.get("idempotencyKey");
        return sendJson(response, 200, { invoices: key ? [store.invoiceByKey(key)].filter(Boolean) : store.invoices });
      }
      const invoiceMatch = /^\/invoices\/([^/]+)$/.exec(path);
      if (invoiceMatch && method === "GET") {
        const invoice = store.invoices.find((candidate) => candidate.id === decodeURIComponent(invoiceMatch[1]!));
        return invoice
          ? sendJson(response, 200, invoice)
          : sendJson(response, 404, { error: `No invoice ${invoiceMatch[1]}` });
      }
      if (path === "/invoices" && method === "POST")
        return await createInvoice(store, request, response, options.random);
      if (path === "/customers" && method === "GET") return sendJson(response, 200, { customers: store.customers });
      if (path === "/customers" && method === "POST") {
        const body = (await readJson(request)) as { id?: unknown; name?: unknown };
        if (typeof body.id !== "string" || !body.id)
          return sendJson(response, 422, { error: "id: name the customer's ERP id" });
        store.addCustomer({ id: body.id, name: typeof body.name === "string" ? body.name : body.id });
        return sendJson(response, 201, { customers: store.customers });
      }
      if (path === "/revenue-schedules" && method === "GET")
        return sendJson(response, 200, { entries: store.revenueSchedules });
      if (path === "/revenue-schedules" && method === "POST") {
        const result = store.addRevenueSchedule(await readJson(request));
        return sendJson(response, result.status, result);
      }
      if (path === "/faults" && method === "GET") return sendJson(response, 200, store.faults);
      if (path === "/faults" && (method === "PUT" || method === "POST"))
        return sendJson(response, 200, store.setFaults(await readJson(request)));
      if (path === "/reset" && method === "POST") {
        store.reset();
        return sendJson(response, 200, { reset: true });
      }
      return sendJson(response, 404, { error: `No route ${method} ${path} in the ERP sandbox` });
    } catch (error) {
      if (error instanceof RequestError) return sendJson(response, error.status, { error: error.message });
      if (error instanceof ZodError)
        return sendJson(response, 422, {
          error: error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
        });
      throw error;
    }
  };
}

async function createInvoice(
  store: SandboxStore,
  request: IncomingMessage,
  response: ServerResponse,
  random?: () => number,
) {
  const body = await readJson(request);
  if (store.faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, store.faults.latencyMs));
  const fault = store.nextFault(random);
  if (fault === "quota") {
    response.setHeader("retry-after", String(store.retryAfterSeconds()));
    return sendJson(response, 429, { error: "Request quota exceeded; retry after the Retry-After delay" });
  }
  if (fault === "error")
    return sendJson(response, 500, { error: "Injected fault: internal error, nothing was stored" });
  if (fault === "timeout") {
    setTimeout(() => request.socket.destroy(), HELD_REQUEST_MS).unref();
    return;
  }
  const key = headerValue(request, "idempotency-key");
  const result = store.createInvoice(key, body);
  if (fault === "drop_after_commit") {
    // The invoice is stored; the caller never hears so. Its retry must not create a second one.
    request.socket.destroy();
    return;
  }
  if ("error" in result) return sendJson(response, result.status, { error: result.error, code: result.code });
  if (result.replayed) response.setHeader("idempotent-replayed", "true");
  return sendJson(response, result.status, result.invoice);
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, `Request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, `Malformed JSON body: ${(error as Error).message}`);
  }
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(body));
}

function sendHtml(response: ServerResponse, html: string) {
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  response.end(html);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The fault settings the page's form switches, with their labels and input ranges. */
const faultFields = [
  { name: "errorRate", label: "Error rate (500, nothing stored)", step: "0.05", max: "1" },
  { name: "timeoutRate", label: "Timeout rate (no answer)", step: "0.05", max: "1" },
  { name: "dropAfterCommitRate", label: "Drop after commit rate (stored, no answer)", step: "0.05", max: "1" },
  { name: "latencyMs", label: "Latency (ms)", step: "50", max: "60000" },
  { name: "quotaPerSecond", label: "Quota (requests/s, then 429)", step: "1", max: "100000" },
] as const;

function renderPage(store: SandboxStore, prefix: string): string {
  const invoices = [...store.invoices].reverse();
  const rows = invoices.map((invoice: Invoice) => {
    const lines = invoice.lines
      .map(
        (line) =>
          `<li>${escapeHtml(line.item)} · ${escapeHtml(line.description)} · qty ${escapeHtml(line.quantity)} · ${escapeHtml(line.amount)} ${escapeHtml(invoice.currency)}</li>`,
      )
      .join("");
    return `<tr><td><a href="${prefix}/invoices/${encodeURIComponent(invoice.id)}">${escapeHtml(invoice.id)}</a></td><td>${escapeHtml(invoice.customer)}</td><td class="num">${escapeHtml(invoice.total)} ${escapeHtml(invoice.currency)}</td><td><ul>${lines}</ul></td><td><code>${escapeHtml(invoice.idempotencyKey.slice(0, 16))}…</code></td><td>${escapeHtml(invoice.createdAt)}</td></tr>`;
  });
  const customers = store.customers.map(
    (customer) =>
      `<tr>${Object.values(customer)
        .map((value) => `<td>${escapeHtml(String(value ?? ""))}</td>`)
        .join("")}</tr>`,
  );
  const customerColumns = Object.keys(store.customers[0] ?? {});
  const schedules = store.revenueSchedules.map(
    (entry) =>
      `<tr>${Object.values(entry)
        .map(
          (value) => `<td>${escapeHtml(typeof value === "object" ? JSON.stringify(value) : String(value ?? ""))}</td>`,
        )
        .join("")}</tr>`,
  );
  const scheduleColumns = Object.keys(store.revenueSchedules[0] ?? {});
  const faults = store.faults;
  const inputs = faultFields
    .map(
      (field) =>
        `<label>${field.label}<input type="number" name="${field.name}" min="${field.name === "quotaPerSecond" ? 1 : 0}" max="${field.max}" step="${field.step}" value="${faults[field.name]}"></label>`,
    )
    .join("");
  const scripted = faults.script.length > 0 ? ` Scripted next: ${escapeHtml(faults.script.join(", "))}.` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ERP sandbox · invoices</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#1f2933}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}th,td{border-bottom:1px solid #d9e2ec;padding:.4rem .6rem;text-align:left;vertical-align:top}.num{text-align:right;white-space:nowrap}ul{margin:0;padding-left:1rem}code{font-size:12px}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}form{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:end;margin-bottom:.5rem}label{display:flex;flex-direction:column;gap:.2rem;font-size:13px}input{width:9rem}#fault-status{min-height:1.2em}</style></head>
<body><h1>ERP sandbox</h1>
<p>A stand-in for the cloud ERP Meterflow posts to. ${counted(store.invoices.length, "invoice")}, ${counted(store.customers.length, "customer")}. JSON: <a href="${prefix}/invoices">${prefix}/invoices</a>. This page refreshes every 5 seconds (not while you edit the faults).</p>
<h2>Invoices</h2>
<table aria-label="Invoices"><thead><tr><th>Invoice</th><th>Customer</th><th class="num">Total</th><th>Lines</th><th>Idempotency key</th><th>Created</th></tr></thead>
<tbody>${rows.join("") || `<tr><td colspan="6">No invoices yet: invoices appear here when a deployed flow's windows close and its postings are delivered.</td></tr>`}</tbody></table>
<h2>Faults</h2>
<p>Injected into invoice requests, for tests and demos: watch Meterflow retry, back off, open its circuit breaker and, after its attempts, raise an erp_failure exception.${scripted}</p>
<form id="faults" aria-label="Faults">${inputs}<button type="submit">Apply</button><button type="button" id="no-faults">No faults</button></form>
<p id="fault-status" role="status"></p>
<h2>Customers</h2>
<table aria-label="Customers"><thead><tr>${customerColumns.map((column) => `<th>${escapeHtml(column)}</th>`).join("")}</tr></thead><tbody>${customers.join("")}</tbody></table>
<h2>Revenue schedule entries</h2>
${schedules.length > 0 ? `<table aria-label="Revenue schedule entries"><thead><tr>${scheduleColumns.map((column) => `<th>${escapeHtml(column)}</th>`).join("")}</tr></thead><tbody>${schedules.join("")}</tbody></table>` : "<p>None yet.</p>"}
<script type="module">
const form = document.getElementById("faults");
const faultStatus = document.getElementById("fault-status");
let quietUntil = 0;
const apply = async (settings) => {
  const response = await fetch(${JSON.stringify(`${prefix}/faults`)}, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(settings) });
  const answer = await response.json();
  faultStatus.textContent = response.ok ? "Applied." : "Not applied: " + answer.error;
  quietUntil = Date.now() + 10000; // the answer stays in view a while
};
form.addEventListener("submit", (event) => {
  event.preventDefault();
  apply(Object.fromEntries([...new FormData(form)].map(([name, value]) => [name, Number(value)])));
});
document.getElementById("no-faults").addEventListener("click", () => apply({ errorRate: 0, timeoutRate: 0, dropAfterCommitRate: 0, latencyMs: 0, script: [] }));
setInterval(() => { if (Date.now() > quietUntil && !form.contains(document.activeElement)) location.reload(); }, 5000);
</script></body></html>`;
}

/** "1 invoice", "2 invoices". */
function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
