import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC, type RouterOutputs } from "../../lib/trpc";

export type TestRunResult = RouterOutputs["flows"]["testRun"];

/** Runs the saved draft on sample events (a dry run: nothing is stored or posted) and shows what happened. */
export function TestRunPanel({ flowId, templateId, dirty, onResult }: { flowId: string; templateId: string | null; dirty: boolean; onResult: (result: TestRunResult | null) => void }) {
  const trpc = useTRPC();
  const templates = useQuery(trpc.templates.list.queryOptions());
  const samples = templates.data?.find((template) => template.id === templateId)?.sampleEvents;
  const [text, setText] = useState<string | null>(null);
  const eventsText = text ?? (samples ? JSON.stringify(samples, null, 2) : "[]");
  const [parseError, setParseError] = useState<string | null>(null);
  const testRun = useMutation(trpc.flows.testRun.mutationOptions({ onSuccess: (result) => onResult(result) }));

  const run = () => {
    let events: unknown;
    try {
      events = JSON.parse(eventsText);
    } catch (error) {
      setParseError(`Sample events are not valid JSON: ${(error as Error).message}`);
      return;
    }
    const list = Array.isArray(events) ? events : [events];
    setParseError(null);
    testRun.mutate({ id: flowId, events: list });
  };
  const result = testRun.data;

  return (
    <section className="side-panel" aria-label="Test run">
      <h2>Test run</h2>
      <label className="field-label" htmlFor="test-events">
        Sample events (CloudEvents JSON array)
      </label>
      <textarea
        id="test-events"
        className="events-input"
        value={eventsText}
        spellCheck={false}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if ((event.ctrlKey || event.metaKey) && event.key === "Enter") run();
        }}
      />
      <div className="row">
        <button type="button" className="primary" onClick={run} disabled={testRun.isPending} title="Run test (Ctrl+Enter)">
          Run test
        </button>
        {dirty && <span className="muted small">Runs the saved draft: save to include your changes.</span>}
      </div>
      {parseError && <p className="error" role="alert">{parseError}</p>}
      {testRun.error && <p className="error" role="alert">{testRun.error.message}</p>}
      {result && (
        <div className="run-result">
          <p className="run-counts" role="status">
            {result.counts.validated} validated · {result.counts.duplicate} duplicate · {result.counts.exception} exceptions
          </p>
          <h3>Exceptions ({result.exceptions.length})</h3>
          <ul className="run-list">
            {result.exceptions.map((exception, index) => (
              <li key={index}>
                <code>{exception.kind}</code> at <code>{exception.nodeId}</code>: {exception.reason}
              </li>
            ))}
          </ul>
          <h3>Held for approval ({result.approvals.length})</h3>
          <ul className="run-list">
            {result.approvals.map((approval) => (
              <li key={approval.itemId}>
                <code>{approval.nodeId}</code> for {approval.approverRole}: <pre>{JSON.stringify(approval.payload, null, 2)}</pre>
              </li>
            ))}
          </ul>
          <h3>Postings that would be sent ({result.postings.length})</h3>
          <ul className="run-list">
            {result.postings.map((posting) => (
              <li key={posting.idempotencyKey}>
                <code>
                  {posting.endpoint} {posting.operation}
                </code>{" "}
                Idempotency-Key <code title={posting.idempotencyKey}>{posting.idempotencyKey.slice(0, 12)}…</code>
                <pre>{JSON.stringify(posting.request, null, 2)}</pre>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
