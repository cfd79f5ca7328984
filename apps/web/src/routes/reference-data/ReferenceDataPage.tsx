import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { utcText } from "../../lib/time-text";
import { useTRPC, type RouterInputs } from "../../lib/trpc";

type AccountForm = RouterInputs["referenceData"]["saveAccount"];
type ContractForm = RouterInputs["referenceData"]["saveContract"];

const emptyAccount: AccountForm = { tenantId: "", name: "", erpAccountId: "", region: "", currency: "" };
const emptyContract: ContractForm = { contractId: "", tenantId: "", priceList: "", currency: "EUR", region: "", startsOn: "", endsOn: "" };

/**
 * The reference data flows look events up in: accounts (tenant -> ERP account) and contracts
 * (tenant -> price list, entitlements) an operator adds or fixes, then retries the exceptions a
 * missing one caused (unmatched_account); the products and price lists beside them.
 */
export function ReferenceDataPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const data = useQuery(trpc.referenceData.browse.queryOptions({ limit: 100, ...(search.trim() ? { search: search.trim() } : {}) }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.referenceData.pathKey() });
  const [account, setAccount] = useState<AccountForm>(emptyAccount);
  const [contract, setContract] = useState<ContractForm>(emptyContract);
  const saveAccount = useMutation(trpc.referenceData.saveAccount.mutationOptions({ onSuccess: refresh }));
  const saveContract = useMutation(trpc.referenceData.saveContract.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.referenceData.remove.mutationOptions({ onSuccess: refresh }));
  const confirmRemove = (kind: "account" | "contract", id: string, consequence: string) => {
    if (window.confirm(`Remove the ${kind} ${id}? ${consequence}`)) remove.mutate({ kind, id });
  };
  const submit = (event: FormEvent, save: () => void) => {
    event.preventDefault();
    save();
  };

  return (
    <section className="page reference-data" aria-label="Reference data">
      <div className="page-header">
        <h1>Reference data</h1>
        <input type="search" aria-label="Find accounts and contracts" placeholder="Find a tenant, name, ERP account or contract…" value={search} onChange={(event) => setSearch(event.target.value)} />
      </div>
      <p className="muted small">
        Flows look events up here (Enrich). A tenant missing here raises an <code>unmatched_account</code> exception: add its account and contract, then retry the exception on
        Operations. Changes reach the runtime within a second and are in the audit log.
      </p>
      {data.error && <p className="error">{data.error.message}</p>}
      {remove.error && (
        <p className="error" role="alert">
          Not removed: {remove.error.message}
        </p>
      )}

      <div className="ops-grid">
        <section className="ops-card" aria-label="Accounts">
          <h2>Accounts</h2>
          <table>
            <thead>
              <tr>
                {["Tenant", "Name", "ERP account", "Region", "Currency", ""].map((header, i) => (
                  <th key={i} scope="col">
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.data?.accounts.map((row) => (
                <tr key={row.tenantId}>
                  <td>{row.tenantId}</td>
                  <td>{row.name}</td>
                  <td>{row.erpAccountId}</td>
                  <td>{row.region ?? "–"}</td>
                  <td>{row.currency ?? "–"}</td>
                  <td>
                    <button type="button" className="link" aria-label={`Edit account ${row.tenantId}`} onClick={() => setAccount({ tenantId: row.tenantId, name: row.name, erpAccountId: row.erpAccountId, region: row.region ?? "", currency: row.currency ?? "" })}>
                      Edit
                    </button>{" "}
                    <button type="button" className="link" aria-label={`Remove account ${row.tenantId}`} onClick={() => confirmRemove("account", row.tenantId, "The tenant's next events become unmatched_account exceptions.")}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form className="ops-form" aria-label="Save an account" onSubmit={(event) => submit(event, () => saveAccount.mutate({ ...account, currency: account.currency || null }))}>
            <TextField label="Tenant" value={account.tenantId} onChange={(tenantId) => setAccount({ ...account, tenantId })} />
            <TextField label="Name" value={account.name ?? ""} onChange={(name) => setAccount({ ...account, name })} />
            <TextField label="ERP account" value={account.erpAccountId} onChange={(erpAccountId) => setAccount({ ...account, erpAccountId })} />
            <TextField label="Region" value={account.region ?? ""} onChange={(region) => setAccount({ ...account, region })} />
            <TextField label="Currency" value={account.currency ?? ""} onChange={(currency) => setAccount({ ...account, currency })} />
            <button type="submit" disabled={saveAccount.isPending}>
              Save account
            </button>
          </form>
          <Outcome mutation={saveAccount} saved={(saved) => `Saved account ${saved.tenantId}.`} />
        </section>

        <section className="ops-card" aria-label="Contracts">
          <h2>Contracts</h2>
          <table>
            <thead>
              <tr>
                {["Contract", "Tenant", "Price list", "Currency", "From", "To", ""].map((header, i) => (
                  <th key={i} scope="col">
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.data?.contracts.map((row) => (
                <tr key={row.contractId}>
                  <td>{row.contractId}</td>
                  <td>{row.tenantId}</td>
                  <td>{row.priceList}</td>
                  <td>{row.currency}</td>
                  <td>{row.startsOn}</td>
                  <td>{row.endsOn ?? "–"}</td>
                  <td>
                    <button
                      type="button"
                      className="link"
                      aria-label={`Edit contract ${row.contractId}`}
                      onClick={() => setContract({ contractId: row.contractId, tenantId: row.tenantId, priceList: row.priceList, currency: row.currency, region: row.region ?? "", startsOn: row.startsOn, endsOn: row.endsOn ?? "", entitlements: row.entitlements })}
                    >
                      Edit
                    </button>{" "}
                    <button type="button" className="link" aria-label={`Remove contract ${row.contractId}`} onClick={() => confirmRemove("contract", row.contractId, "Flows then find the tenant's other contract, or none.")}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form className="ops-form" aria-label="Save a contract" onSubmit={(event) => submit(event, () => saveContract.mutate({ ...contract, endsOn: contract.endsOn || null }))}>
            <TextField label="Contract" value={contract.contractId} onChange={(contractId) => setContract({ ...contract, contractId })} />
            <TextField label="Tenant" value={contract.tenantId} onChange={(tenantId) => setContract({ ...contract, tenantId })} />
            <label>
              Price list
              <select value={contract.priceList} onChange={(event) => setContract({ ...contract, priceList: event.target.value })}>
                <option value="">Choose…</option>
                {[...new Set(data.data?.priceLists.map((list) => list.name))].map((name) => (
                  <option key={name}>{name}</option>
                ))}
              </select>
            </label>
            <TextField label="Currency" value={contract.currency} onChange={(currency) => setContract({ ...contract, currency })} />
            <TextField label="From" type="date" value={contract.startsOn} onChange={(startsOn) => setContract({ ...contract, startsOn })} />
            <TextField label="To" type="date" value={contract.endsOn ?? ""} onChange={(endsOn) => setContract({ ...contract, endsOn })} />
            <button type="submit" disabled={saveContract.isPending}>
              Save contract
            </button>
          </form>
          <Outcome mutation={saveContract} saved={(saved) => `Saved contract ${saved.contractId}.`} />
        </section>

        <section className="ops-card" aria-label="Products">
          <h2>Products</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">ERP item</th>
                <th scope="col">Unit</th>
              </tr>
            </thead>
            <tbody>
              {data.data?.products.map((row) => (
                <tr key={row.productCode}>
                  <td>{row.productCode}</td>
                  <td>{row.erpItemCode}</td>
                  <td>{row.unit ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section className="ops-card" aria-label="Price lists">
          <h2>Price lists</h2>
          <table>
            <thead>
              <tr>
                {["Name", "Version", "Region", "Currency", "Included", "Tiers", "Effective"].map((header) => (
                  <th key={header} scope="col">
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.data?.priceLists.map((list) => (
                <tr key={list.id}>
                  <td>{list.name}</td>
                  <td className="num">{list.version}</td>
                  <td>{list.region}</td>
                  <td>{list.currency}</td>
                  <td className="num">{list.includedUnits}</td>
                  <td className="small">{list.tiers.map((tier) => `${tier.upTo ? `up to ${tier.upTo}` : "beyond"}: ${tier.unitPrice}`).join("; ")}</td>
                  <td className="small">
                    {utcText(list.effectiveFrom, "day")} – {list.effectiveTo ? utcText(list.effectiveTo, "day") : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </section>
  );
}

function TextField({ label, value, onChange, type = "text" }: { label: string; value: string; onChange: (value: string) => void; type?: string }) {
  return (
    <label>
      {label}
      <input type={type} value={value} onChange={(event) => onChange(event.target.value)} />
    </label>
  );
}

/** What became of the last save: done, or each problem with the field it is about. */
function Outcome<T>({ mutation, saved }: { mutation: { data?: T | undefined; error: { message: string; data?: { zodError?: { fieldErrors: Record<string, string[] | undefined>; formErrors: string[] } | null } | null } | null; isSuccess: boolean }; saved: (data: T) => string }) {
  if (mutation.error) {
    const zod = mutation.error.data?.zodError;
    const problems = zod ? [...zod.formErrors, ...Object.values(zod.fieldErrors).flatMap((messages) => messages ?? [])] : [mutation.error.message];
    return (
      <p className="error small" role="alert">
        Not saved: {problems.join("; ")}
      </p>
    );
  }
  if (mutation.isSuccess && mutation.data !== undefined) {
    return (
      <p className="small" role="status">
        {saved(mutation.data)}
      </p>
    );
  }
  return null;
}
