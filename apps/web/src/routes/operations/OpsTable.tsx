import type { ReactNode } from "react";

/** A card of the Operations and Reference data pages: a titled table with its actions, or a line saying it is empty. */
export function OpsTable({
  title,
  headers,
  empty,
  actions,
  note,
  scroll = false,
  wide = false,
  filters,
  footer,
  children,
}: {
  title: string;
  headers: ReactNode[];
  empty: string;
  actions?: ReactNode;
  /** Under the title, e.g. that the table shows only some of the rows. */
  note?: string | undefined;
  /** A long list scrolls in the card (under a header that stays), so the cards after it stay in reach. */
  scroll?: boolean;
  /** Across the whole grid: a queue operators work in, with more columns. */
  wide?: boolean;
  /** Between the title and the table: what narrows the rows, and actions on all of them. */
  filters?: ReactNode;
  /** Under the table, e.g. a form that adds a row. */
  footer?: ReactNode;
  children: ReactNode[] | undefined;
}) {
  return (
    <section className={wide ? "ops-card ops-span" : "ops-card"} aria-label={title}>
      <div className="ops-card-head">
        <h2>{title}</h2>
        {actions && <div className="ops-actions">{actions}</div>}
      </div>
      {note && <p className="muted small">{note}</p>}
      {filters}
      {children && children.length > 0 ? (
        <div className={scroll ? "ops-scroll" : undefined}>
          <table>
            <thead>
              <tr>
                {headers.map((header, i) => (
                  <th key={i} scope="col">
                    {header}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{children}</tbody>
          </table>
        </div>
      ) : (
        <p className="muted small">{empty}</p>
      )}
      {footer}
    </section>
  );
}
