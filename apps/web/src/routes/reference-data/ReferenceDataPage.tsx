import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { AppRouter } from "@meterflow/api";
import type { TRPCClientErrorLike } from "@trpc/client";
import { useState, type FormEvent } from "react";
import { utcText } from "../../lib/time-text";
import { useTRPC, type RouterInputs } from "../../lib/trpc";
import { OpsTable } from "../operations/OpsTable";

type AccountForm = RouterInputs["referenceData"]["saveAccount"];
type ContractForm = RouterInputs["referenceData"]["saveContract"];

const emptyAccount: AccountForm = { tenantId: "", name: "", erpAccountId: "", region: "", currency: "" };
const emptyContract: ContractForm = {
  contractId: "",
  tenantId: "",
  priceList: "",
  currency: "EUR",
  region: "",
  startsOn: "",
  endsOn: "",
};

/**
 * The reference data flows look events up in: accounts (tenant -> ERP account) and contracts
 * (tenant -> price list, entitlements) an operator adds or fixes, then retries the exceptions a
 * missing one caused (unmatched_account); the products and price lists beside them.
 */
export function ReferenceDataPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const data = useQuery(
    trpc.referenceData.browse.queryOptions({ limit: 100, ...(search.trim() ? { search: search.trim() } : {}) }),
  );
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
        <input
          type="search"
          aria-label="Find accounts and contracts"
          placeholder="Find a tenant, name, ERP account or contract…"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
      </div>
      <p className="muted small">
        Flows look events up here (Enrich). A tenant missing here raises an <code>unmatched_account</code> exception:
        add its account and contract, then retry the exception on Operations. Changes reach the runtime within a second
        and are in the audit log.
      </p>
      {data.error && <p className="error">{data.error.message}</p>}
      {remove.error && (
        <p className="error" role="alert">
          Not removed: {remove.error.message}
        </p>
      )}

      <div className="ops-grid">
        <OpsTable
          title="Accounts"
          empty={search.trim() ? "No account matches." : "No accounts yet."}
          headers={["Tenant", "Name", "ERP account", "Region", "Currency", ""]}
          footer={
            <>
              <form
                className="ops-form"
                aria-label="Save an account"
                onSubmit={(event) =>
                  submit(event, () => saveAccount.mutate({ ...account, currency: account.currency || null }))
                }
              >
                <TextField
                  label="Tenant"
                  value={account.tenantId}
                  onChange={(tenantId) => setAccount({ ...account, tenantId })}
                />
                <TextField
                  label="Name"
                  value={account.name ?? ""}
                  onChange={(name) => setAccount({ ...account, name })}
                />
                <TextField
                  label="ERP account"
                  value={account.erpAccountId}
                  onChange={(erpAccountId) => setAccount({ ...account, erpAccountId })}
                />
                <TextField
                  label="Region"
                  value={account.region ?? ""}
                  onChange={(region) => setAccount({ ...account, region })}
                />
                <TextField
                  label="Currency"
                  value={account.currency ?? ""}
                  onChange={(currency) => setAccount({ ...account, currency })}
                />
                <button type="submit" disabled={saveAccount.isPending}>
                  Save account
                </button>
              </form>
              <Outcome
                error={saveAccount.error}
                saved={saveAccount.data && `Saved account ${saveAccount.data.tenantId}.`}
              />
            </>
          }
        >
          {data.data?.accounts.map((row) => (
            <tr key={row.tenantId}>
              <td>{row.tenantId}</td>
              <td>{row.name}</td>
              <td>{row.erpAccountId}</td>
              <td>{row.region ?? "–"}</td>
              <td>{row.currency ?? "–"}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  aria-label={`Edit account ${row.tenantId}`}
                  onClick={() =>
                    setAccount({
                      tenantId: row.tenantId,
                      name: row.name,
                      erpAccountId: row.erpAccountId,
                      region: row.region ?? "",
                      currency: row.currency ?? "",
                    })
                  }
                >
                  Edit
                </button>{" "}
                <button
                  type="button"
                  className="link"
                  aria-label={`Remove account ${row.tenantId}`}
                  onClick={() =>
                    confirmRemove(
                      "account",
                      row.tenantId,
                      "The tenant's next events become unmatched_account exceptions.",
                    )
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </OpsTable>

        <OpsTable
          title="Contracts"
          empty={search.trim() ? "No contract matches." : "No contracts yet."}
          headers={["Contract", "Tenant", "Price list", "Currency", "From", "To", ""]}
          footer={
            <>
              <form
                className="ops-form"
                aria-label="Save a contract"
                onSubmit={(event) =>
                  submit(event, () => saveContract.mutate({ ...contract, endsOn: contract.endsOn || null }))
                }
              >
                <TextField
                  label="Contract"
                  value={contract.contractId}
                  onChange={(contractId) => setContract({ ...contract, contractId })}
                />
                <TextField
                  label="Tenant"
                  value={contract.tenantId}
                  onChange={(tenantId) => setContract({ ...contract, tenantId })}
                />
                <label>
                  Price list
                  <select
                    value={contract.priceList}
                    onChange={(event) => setContract({ ...contract, priceList: event.target.value })}
                  >
                    <option value="">Choose…</option>
                    {[...new Set(data.data?.priceLists.map((list) => list.name))].map((name) => (
                      <option key={name}>{name}</option>
                    ))}
                  </select>
                </label>
                <TextField
                  label="Currency"
                  value={contract.currency}
                  onChange={(currency) => setContract({ ...contract, currency })}
                />
                <TextField
                  label="From"
                  type="date"
                  value={contract.startsOn}
                  onChange={(startsOn) => setContract({ ...contract, startsOn })}
                />
                <TextField
                  label="To"
                  type="date"
                  value={contract.endsOn ?? ""}
                  onChange={(endsOn) => setContract({ ...contract, endsOn })}
                />
                <button type="submit" disabled={saveContract.isPending}>
                  Save contract
                </button>
              </form>
              <Outcome
                error={saveContract.error}
                saved={saveContract.data && `Saved contract ${saveContract.data.contractId}.`}
              />
            </>
          }
        >
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
                  onClick={() =>
                    setContract({
                      contractId: row.contractId,
                      tenantId: row.tenantId,
                      priceList: row.priceList,
                      currency: row.currency,
                      region: row.region ?? "",
                      startsOn: row.startsOn,
                      endsOn: row.endsOn ?? "",
                      entitlements: row.entitlements,
                    })
                  }
                >
                  Edit
                </button>{" "}
                <button
                  type="button"
                  className="link"
                  aria-label={`Remove contract ${row.contractId}`}
                  onClick={() =>
                    confirmRemove("contract", row.contractId, "Flows then find the tenant's other contract, or none.")
                  }
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </OpsTable>

        <OpsTable title="Products" empty="No products." headers={["Product", "ERP item", "Unit"]}>
          {data.data?.products.map((row) => (
            <tr key={row.productCode}>
              <td>{row.productCode}</td>
              <td>{row.erpItemCode}</td>
              <td>{row.unit ?? "–"}</td>
            </tr>
          ))}
        </OpsTable>

        <OpsTable
          title="Price lists"
          empty="No price lists."
          headers={["Name", "Version", "Region", "Currency", "Included", "Tiers", "Effective"]}
        >
          {data.data?.priceLists.map((list) => (
            <tr key={list.id}>
              <td>{list.name}</td>
              <td className="num">{list.version}</td>
              <td>{list.region}</td>
              <td>{list.currency}</td>
              <td className="num">{list.includedUnits}</td>
              <td className="small">
                {list.tiers
                  .map((tier) => `${tier.upTo ? `up to ${tier.upTo}` : "beyond"}: ${tier.unitPrice}`)
                  .join("; ")}
              </td>
              <td className="small">
                {utcText(list.effectiveFrom, "day")} – {list.effectiveTo ? utcText(list.effectiveTo, "day") : ""}
              </td>
            </tr>
          ))}
        </OpsTable>
      </div>
    </section>
  );
}

function TextField({
  label,
  value,
  onChange,
  type = "text",
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: string;
}) {
  return (
    <label>
      {label}
      <input type={type} value={value} onChange={(event) => onChange(event.target.value)} />
    </label>
  );
}

/** What became of the last save: done, or each problem with the field it is about. */
function Outcome({ error, saved }: { error: TRPCClientErrorLike<AppRouter> | null; saved: string | undefined }) {
  if (error) {
    const fields = error.data?.zodError;
    const problems = fields
      ? [...fields.formErrors, ...Object.values(fields.fieldErrors).flatMap((messages) => messages ?? [])]
      : [error.message];
    return (
      <p className="error small" role="alert">
        Not saved: {problems.join("; ")}
      </p>
    );
  }
  return saved ? (
    <p className="small" role="status">
      {saved}
    </p>
  ) : null;
}
