import Decimal from "decimal.js";
import { isDecimalLike } from "../decimal-values";
import type { PriceList } from "../engine-types";
import { evaluateOn, exceptionItem, type NodeImplementation } from "../node-implementation";

/**
 * Prices a quantity: included units first, then graduated tiers, with the price list effective
 * at the window start (regional when the node names a region), in exact decimals, rounded to the
 * currency scale. Records the pricing-rule version it used; no price list is a pricing_gap.
 */
export const rate: NodeImplementation<"rate"> = {
  prepare(node, env) {
    const quantity = env.expression(node.config.quantity);
    const includedUnits = node.config.includedUnits ? env.expression(node.config.includedUnits) : undefined;
    const region = node.config.region ? env.expression(node.config.region) : undefined;
    const rounding = node.config.rounding === "half-up" ? Decimal.ROUND_HALF_UP : Decimal.ROUND_HALF_EVEN;
    return (items, run) => {
      const out = [];
      const gap = [];
      for (const item of items) {
        const value = item.value as Record<string, unknown>;
        const at = typeof value.windowStart === "string" ? value.windowStart : new Date(0).toISOString();
        const regionValue = region ? evaluateOn(region, value) : undefined;
        const regionName = regionValue?.ok && typeof regionValue.value === "string" ? regionValue.value : undefined;
        const fromContext = run.context.priceList(node.config.priceList, regionName, at);
        const priceList: PriceList | undefined =
          fromContext ??
          (node.config.tiers.length > 0
            ? {
                name: node.config.priceList,
                version: 0,
                region: regionName ?? "global",
                currency: node.config.currency,
                includedUnits: "0",
                tiers: node.config.tiers,
              }
            : undefined);
        if (!priceList) {
          gap.push(
            exceptionItem(
              item,
              "pricing_gap",
              `No price list "${node.config.priceList}"${regionName ? ` for region ${regionName}` : ""} effective at ${at}`,
            ),
          );
          continue;
        }
        const counted = evaluateOn(quantity, value);
        const included = includedUnits
          ? evaluateOn(includedUnits, value)
          : { ok: true as const, value: priceList.includedUnits };
        if (!counted.ok || !included.ok || !isDecimalLike(counted.value) || !isDecimalLike(included.value ?? "0")) {
          gap.push(
            exceptionItem(
              item,
              "pricing_gap",
              `Quantity or included units is not a number (${node.config.quantity} = ${JSON.stringify(counted.ok ? counted.value : counted.reason)})`,
            ),
          );
          continue;
        }
        const total = new Decimal(String(counted.value));
        const free = new Decimal(String(included.value ?? "0"));
        const billable = Decimal.max(total.minus(free), 0);
        const { amount, topUnitPrice } = graduated(billable, priceList.tiers);
        const pricingRuleVersion = `${priceList.name}@${priceList.version === 0 ? "inline" : priceList.version}/${priceList.region}`;
        const id = `${node.id}:${item.id}`;
        const currency = priceList.currency || node.config.currency;
        out.push({
          ...item,
          id,
          value: {
            ...value,
            quantity: total.toFixed(),
            includedUnits: free.toFixed(),
            billableQuantity: billable.toFixed(),
            unitPrice: { amount: topUnitPrice.toFixed(), currency },
            total: { amount: amount.toDecimalPlaces(node.config.scale, rounding).toFixed(node.config.scale), currency },
            pricingRuleVersion,
          },
        });
        run.effects.lineage.push({
          outputId: id,
          inputIds: [item.id],
          nodeId: node.id,
          flowVersionHash: env.flowVersionHash,
          pricingRuleVersion,
        });
      }
      return { out, gap };
    };
  },
};

/** Each tier prices the units between the previous tier's upper bound and its own. */
function graduated(billable: Decimal, tiers: PriceList["tiers"]): { amount: Decimal; topUnitPrice: Decimal } {
  let amount = new Decimal(0);
  let lower = new Decimal(0);
  let topUnitPrice = new Decimal(tiers[0]?.unitPrice ?? 0);
  for (const tier of tiers) {
    if (billable.lte(lower)) break;
    const upper = tier.upTo === null ? billable : Decimal.min(new Decimal(tier.upTo), billable);
    amount = amount.plus(upper.minus(lower).times(tier.unitPrice));
    topUnitPrice = new Decimal(tier.unitPrice);
    lower = upper;
  }
  return { amount, topUnitPrice };
}
