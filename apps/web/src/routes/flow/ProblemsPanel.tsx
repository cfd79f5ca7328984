import type { Problem } from "@meterflow/flow-spec";

export function ProblemsPanel({ problems, onFocusNode }: { problems: readonly Problem[]; onFocusNode: (nodeId: string) => void }) {
  return (
    <section className="problems" aria-label="Problems">
      <h2>
        Problems <span className="muted">({problems.length})</span>
      </h2>
      {problems.length === 0 ? (
        <p className="muted small">No problems: the flow is valid.</p>
      ) : (
        <ul>
          {problems.map((problem, index) => (
            <li key={`${problem.path}-${problem.code}-${index}`} className={`problem problem-${problem.severity}`}>
              <button type="button" disabled={!problem.nodeId} onClick={() => problem.nodeId && onFocusNode(problem.nodeId)}>
                <span className="problem-severity">{problem.severity}</span> <code>{problem.path}</code> {problem.message}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
