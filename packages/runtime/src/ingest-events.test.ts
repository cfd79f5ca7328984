import { ensureWorkspace, rowsOf, type DatabaseHandle } from "@meterflow/db";
import { sql } from "drizzle-orm";
import { databaseCases } from "@meterflow/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestEvents } from "./ingest-events";
import { countersAndRows } from "./testing/runtime-fixture";

const call = (id: string, extra: Record<string, unknown> = {}) => ({
  specversion: "1.0",
  id,
  source: "/gw",
  type: "com.meterflow.api.call",
  time: "2026-11-03T10:00:00Z",
  data: { tenantId: "acme", calls: 1 },
  ...extra,
});

describe.each(databaseCases())("ingestEvents on $name", ({ open }) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await open();
    await ensureWorkspace(handle.db, { id: "w", name: "W" }, { id: "u", name: "U", email: "u@x", roles: ["engineer"] });
  });
  afterAll(async () => handle?.close());
  /** The workspace's stored events, counted row by row, after checking the partitions' counters agree. */
  const countRawEvents = async () => {
    const { counters, rows } = await countersAndRows(handle.db, "w");
    expect(counters).toEqual(rows);
    return rows.rawEvents;
  };

  it("stores good events, reports repeats as duplicates and bad ones with a reason, in request order", async () => {
    const summary = await ingestEvents(handle.db, "w", [
      call("a"),
      { specversion: "1.0", id: "b", source: "/gw" },
      call("a"),
      call("c", { time: "yesterday" }),
      call("d"),
    ]);
    expect(summary.results).toEqual([
      { index: 0, id: "a", source: "/gw", status: "stored" },
      { index: 1, id: "b", source: "/gw", status: "invalid", error: "Not a CloudEvent: missing type" },
      { index: 2, id: "a", source: "/gw", status: "duplicate" },
      { index: 3, id: "c", source: "/gw", status: "invalid", error: 'time "yesterday" is not an RFC 3339 timestamp' },
      { index: 4, id: "d", source: "/gw", status: "stored" },
    ]);
    expect(summary).toMatchObject({ stored: 2, duplicates: 1, invalid: 2 });
    const again = await ingestEvents(handle.db, "w", [call("d"), call("e")]);
    expect(again.results.map((result) => result.status)).toEqual(["duplicate", "stored"]);
    expect(await countRawEvents()).toBe(3);
  });

  it("answers events with text PostgreSQL cannot hold as invalid, naming where, and stores the others of the request", async () => {
    const summary = await ingestEvents(handle.db, "w", [
      call("nul", { data: { tenantId: "acme", region: "eu\u0000west" } }),
      call("ok"),
      call("surrogate", { data: { ["half\ud800"]: 1 } }),
      call("ok"),
    ]);
    const reason = "contains a character PostgreSQL text cannot hold (U+0000, or half of a surrogate pair)";
    expect(summary.results).toEqual([
      { index: 0, id: "nul", source: "/gw", status: "invalid", error: `$.data.region ${reason}` },
      { index: 1, id: "ok", source: "/gw", status: "stored" },
      { index: 2, id: "surrogate", source: "/gw", status: "invalid", error: `$.data.half\ud800 ${reason}` },
      { index: 3, id: "ok", source: "/gw", status: "duplicate" },
    ]);
    expect(summary).toMatchObject({ stored: 1, duplicates: 1, invalid: 2 });
    expect(
      await ingestEvents(handle.db, "w", [call("pair", { data: { tenantId: "acme", note: "\ud83d\ude00" } })]),
    ).toMatchObject({ stored: 1 });
    // The text of an escape is not the character: a backslash followed by "u0000" is stored.
    expect(
      await ingestEvents(handle.db, "w", [call("backslash", { data: { tenantId: "acme", note: "C:\\u0000\\ud800" } })]),
    ).toMatchObject({ stored: 1 });
  });

  it("stores each event once when requests repeating each other's events run at once, and counts it once as pending", async () => {
    const pending = async () =>
      Number(
        (
          await rowsOf<{ n: string | number }>(
            handle.db,
            sql`select coalesce(sum(pending), 0) as n from runtime_partitions where workspace_id = 'w'`,
          )
        )[0]!.n,
      );
    const [eventsBefore, pendingBefore] = [await countRawEvents(), await pending()];
    const range = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => call(`overlap-${from + i}`));
    const answers = await Promise.all([
      ingestEvents(handle.db, "w", range(0, 300)),
      ingestEvents(handle.db, "w", range(150, 450)),
      ingestEvents(handle.db, "w", range(100, 200)),
    ]);
    expect(answers.reduce((total, answer) => total + answer.stored, 0)).toBe(450);
    expect(answers.reduce((total, answer) => total + answer.duplicates, 0)).toBe(250);
    expect(await countRawEvents()).toBe(eventsBefore + 450);
    expect(await pending()).toBe(pendingBefore + 450);
  });

  it("stores each event's time as the engine reads it, also where PostgreSQL alone would read it otherwise", async () => {
    const times = [
      "2026-11-03T10:00:00Z",
      "2026-11-03T10:00:00.250Z",
      "2026-10-31T23:59:59.9999996Z",
      "2026-11-03t12:30:00+05:30",
    ];
    await ingestEvents(
      handle.db,
      "w",
      times.map((time, i) => call(`time-${i}`, { time })),
    );
    const stored = await rowsOf<{ event_id: string; time: string }>(
      handle.db,
      sql`select event_id, to_char(time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as time from events_raw where event_id like 'time-%' order by event_id`,
    );
    expect(stored.map((row) => row.time)).toEqual([
      "2026-11-03T10:00:00.000",
      "2026-11-03T10:00:00.250",
      "2026-10-31T23:59:59.999",
      "2026-11-03T07:00:00.000",
    ]);
  });

  it("stores attributes and envelopes exactly as sent, whatever characters they hold", async () => {
    // (A source is a URI reference: its odd characters arrive percent-encoded.)
    const odd = ["tab\there", "line\nbreak\r", "back\\slash", "\\N", "\\.", 'quote"s', "\u2028 and \ud83d\ude00"];
    const events = odd.map((text, i) => ({
      ...call(`odd-${i}-${text}`),
      source: `/gw/${encodeURIComponent(text)}`,
      subject: text,
      data: { tenantId: `t-${text}`, note: text, nested: [text, { text }] },
    }));
    expect((await ingestEvents(handle.db, "w", events)).stored).toBe(odd.length);
    const stored = await rowsOf<{
      source: string;
      event_id: string;
      subject: string;
      partition_key: string;
      envelope: unknown;
    }>(
      handle.db,
      sql`select source, event_id, subject, partition_key, envelope from events_raw where event_id like 'odd-%' order by seq`,
    );
    expect(stored).toEqual(
      events.map((event) => ({
        source: event.source,
        event_id: event.id,
        subject: event.subject,
        partition_key: event.data.tenantId,
        envelope: event,
      })),
    );
    // Sent again, each is a duplicate.
    expect((await ingestEvents(handle.db, "w", events)).duplicates).toBe(odd.length);
  });
});
