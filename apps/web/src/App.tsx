import { navigate, usePathname } from "./lib/navigation";
import { AuditLogPage } from "./routes/audit/AuditLogPage";
import { FlowListPage } from "./routes/flow-list/FlowListPage";
import { FlowPage } from "./routes/flow/FlowPage";
import { OperationsPage } from "./routes/operations/OperationsPage";
import { ReferenceDataPage } from "./routes/reference-data/ReferenceDataPage";

export function App() {
  const pathname = usePathname();
  const flowMatch = /^\/flows\/([0-9a-f-]{36})\/?$/.exec(pathname);
  return (
    <div className="app">
      <header className="app-header">
        <a
          className="brand"
          href="/"
          onClick={(event) => {
            event.preventDefault();
            navigate("/");
          }}
        >
          Meterflow
        </a>
        <span className="brand-sub">flow designer</span>
        <nav className="app-nav" aria-label="Sections">
          {[
            ["/", "Flows"],
            ["/operations", "Operations"],
            ["/reference-data", "Reference data"],
            ["/audit", "Audit log"],
          ].map(([path, label]) => (
            <a
              key={path}
              href={path}
              aria-current={
                (path === "/" ? pathname === "/" || flowMatch !== null : pathname.startsWith(path!))
                  ? "page"
                  : undefined
              }
              onClick={(event) => {
                event.preventDefault();
                navigate(path!);
              }}
            >
              {label}
            </a>
          ))}
        </nav>
      </header>
      <main className="app-main">
        {flowMatch ? (
          <FlowPage flowId={flowMatch[1]!} />
        ) : pathname.startsWith("/operations") ? (
          <OperationsPage />
        ) : pathname.startsWith("/audit") ? (
          <AuditLogPage />
        ) : pathname.startsWith("/reference-data") ? (
          <ReferenceDataPage />
        ) : (
          <FlowListPage />
        )}
      </main>
    </div>
  );
}
