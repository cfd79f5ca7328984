import { navigate, usePathname } from "./lib/navigation";
import { FlowListPage } from "./routes/flow-list/FlowListPage";
import { FlowPage } from "./routes/flow/FlowPage";

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
      </header>
      <main className="app-main">{flowMatch ? <FlowPage flowId={flowMatch[1]!} /> : <FlowListPage />}</main>
    </div>
  );
}
