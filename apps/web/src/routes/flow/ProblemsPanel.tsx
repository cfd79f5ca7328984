import type { Problem } from "@meterflow/flow-spec";

/** Every problem of the draft; choosing one selects its node and puts the cursor in its field. */
export function ProblemsPanel({
  problems,
  onFocus,
}: {
  problems: readonly Problem[];
  onFocus: (problem: Problem) => void;
}) {
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
              <button type="button" disabled={!problem.nodeId} onClick={() => onFocus(problem)}>
                <span className="problem-severity">{problem.severity}</span> <code>{problem.path}</code>{" "}
                {problem.message}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
