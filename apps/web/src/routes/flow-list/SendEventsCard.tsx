import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc";

/** Where a newcomer finds the API key and a first request that sends a CloudEvent. */
export function SendEventsCard() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const stats = useQuery(trpc.overview.stats.queryOptions(undefined, { refetchInterval: 5_000 }));
  const key = keys.data?.find((candidate) => candidate.key && !candidate.revoked)?.key;
  const origin = window.location.origin;
  // Fixed when the card appears: the request shown (and copied) must not change under a selection as the counts refresh.
  const [time] = useState(() => `${new Date().toISOString().slice(0, 19)}Z`);
  const curl = `curl -X POST ${origin}/v1/events \\
  -H 'Authorization: Bearer ${key ?? "<your API key>"}' \\
  -H 'Content-Type: application/cloudevents+json' \\
  -d '{"specversion":"1.0","id":"evt-1","source":"/my-app","type":"com.meterflow.api.call","time":"${time}","subject":"acme","data":{"tenantId":"acme","productCode":"api-calls","calls":1200}}'`;
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(curl);
      setCopied("copied");
    } catch {
      setCopied("failed"); // e.g. a page not served from localhost or https
    }
  };
  return (
    <section className="send-events" aria-label="Send events">
      <div className="send-events-head">
        <h2>Send events</h2>
        <button type="button" onClick={() => void copy()} disabled={!key}>
          Copy request
        </button>
        {copied && (
          <span className="muted small">
            {copied === "copied"
              ? "Copied: paste it in a terminal."
              : "The browser refused; select the request and copy it."}
          </span>
        )}
      </div>
      <p className="small">
        Your API key: <code data-testid="api-key">{key ?? (keys.isPending ? "…" : "none: create one")}</code>
      </p>
      <pre className="curl" tabIndex={0} aria-label="Request that sends a first event">
        {curl}
      </pre>
      <p className="muted small">
        <span role="status">Events stored so far: {stats.data?.rawEvents ?? "…"}</span> · see them, their usage records
        and invoices on <a href="/operations">Operations</a>
      </p>
    </section>
  );
}
