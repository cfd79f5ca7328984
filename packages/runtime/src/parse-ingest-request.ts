/** The three CloudEvents HTTP modes: structured, batch, binary (`ce-*` headers). */
export type IngestMode = "structured" | "batch" | "binary";

export type ParsedIngestRequest =
  | { ok: true; mode: IngestMode; events: unknown[] }
  | { ok: false; status: 400 | 415; message: string };

/**
 * Turns an HTTP request body into candidate events without judging them: each is checked on its
 * own later, so one bad event never blocks the rest of a batch.
 */
export function parseIngestRequest(
  contentType: string | undefined,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): ParsedIngestRequest {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };

  if (mediaType === "application/cloudevents-batch+json") {
    const parsed = parseJson(body);
    if (!parsed.ok) return parsed;
    if (!Array.isArray(parsed.value))
      return {
        ok: false,
        status: 400,
        message: "A batch (application/cloudevents-batch+json) must be a JSON array of events",
      };
    return { ok: true, mode: "batch", events: parsed.value };
  }
  if (mediaType === "application/cloudevents+json") {
    const parsed = parseJson(body);
    if (!parsed.ok) return parsed;
    return { ok: true, mode: "structured", events: [parsed.value] };
  }
  if (header("ce-specversion") !== undefined) {
    // Binary mode: attributes in ce-* headers, the body is `data` in the given content type.
    const event: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith("ce-") && value !== undefined) event[name.slice(3)] = Array.isArray(value) ? value[0] : value;
    }
    if (mediaType === "" || mediaType === "application/json" || mediaType.endsWith("+json")) {
      if (body.length > 0) {
        const parsed = parseJson(body);
        if (!parsed.ok) return parsed;
        event.data = parsed.value;
      }
    } else {
      event.data = body;
    }
    if (mediaType) event.datacontenttype = mediaType;
    return { ok: true, mode: "binary", events: [event] };
  }
  if (mediaType === "application/json") {
    // Plain JSON is accepted as structured (one object) or batch (an array), as many senders do.
    const parsed = parseJson(body);
    if (!parsed.ok) return parsed;
    return Array.isArray(parsed.value)
      ? { ok: true, mode: "batch", events: parsed.value }
      : { ok: true, mode: "structured", events: [parsed.value] };
  }
  return {
    ok: false,
    status: 415,
    message: `Content-Type ${contentType ? `"${contentType}"` : "is missing"}: send application/cloudevents+json, application/cloudevents-batch+json, or ce-* headers (binary mode)`,
  };
}

function parseJson(body: string): { ok: true; value: unknown } | { ok: false; status: 400; message: string } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return { ok: false, status: 400, message: `The body is not valid JSON: ${(error as Error).message}` };
  }
}
