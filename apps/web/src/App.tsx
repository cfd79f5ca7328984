import { navigate, usePathname } from "./lib/navigation";
import { AuditLogPage } from "./routes/audit/AuditLogPage";
import { FlowListPage } from "./routes/flow-list/FlowListPage";
import { FlowPage } from "./routes/flow/FlowPage";
import { OperationsPage } from "./routes/operations/OperationsPage";

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
            ["/audit", "Audit log"],
          ].map(([path, label]) => (
            <a
              key={path}
              href={path}
              aria-current={(path === "/" ? pathname === "/" || flowMatch !== null : pathname.startsWith(path!)) ? "page" : undefined}
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
        {flowMatch ? <FlowPage flowId={flowMatch[1]!} /> : pathname.startsWith("/operations") ? <OperationsPage /> : pathname.startsWith("/audit") ? <AuditLogPage /> : <FlowListPage />}
      </main>
    </div>
  );
}
