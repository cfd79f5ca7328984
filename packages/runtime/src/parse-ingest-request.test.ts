import { describe, expect, it } from "vitest";
import { parseIngestRequest } from "./parse-ingest-request";

const event = { specversion: "1.0", id: "1", source: "/s", type: "t", data: { n: 1 } };

describe("parseIngestRequest", () => {
  it("reads structured, batch and plain JSON bodies", () => {
    expect(parseIngestRequest("application/cloudevents+json; charset=utf-8", {}, JSON.stringify(event))).toEqual({
      ok: true,
      mode: "structured",
      events: [event],
    });
    expect(parseIngestRequest("application/cloudevents-batch+json", {}, JSON.stringify([event, event]))).toEqual({
      ok: true,
      mode: "batch",
      events: [event, event],
    });
    expect(parseIngestRequest("application/json", {}, JSON.stringify([event]))).toMatchObject({
      ok: true,
      mode: "batch",
    });
  });

  it("reads binary mode from ce-* headers with the body as data", () => {
    const headers = { "ce-specversion": "1.0", "ce-id": "7", "ce-source": "/s", "ce-type": "t", "ce-subject": "acme" };
    expect(parseIngestRequest("application/json", headers, '{"calls":3}')).toEqual({
      ok: true,
      mode: "binary",
      events: [
        {
          specversion: "1.0",
          id: "7",
          source: "/s",
          type: "t",
          subject: "acme",
          data: { calls: 3 },
          datacontenttype: "application/json",
        },
      ],
    });
    expect(parseIngestRequest("text/plain", headers, "hello")).toMatchObject({
      ok: true,
      events: [{ data: "hello", datacontenttype: "text/plain" }],
    });
  });

  it("explains malformed JSON, a batch that is not an array, and unknown content types", () => {
    expect(parseIngestRequest("application/cloudevents+json", {}, "{ nope")).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining("not valid JSON"),
    });
    expect(parseIngestRequest("application/cloudevents-batch+json", {}, JSON.stringify(event))).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining("must be a JSON array"),
    });
    expect(parseIngestRequest("text/csv", {}, "a,b")).toMatchObject({
      ok: false,
      status: 415,
      message: expect.stringContaining('Content-Type "text/csv"'),
    });
  });
});
