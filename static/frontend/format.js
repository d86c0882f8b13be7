// Money, quantities, units and dates as the screens show them. The unit vocabulary is the
// server's (catalog.models.Unit, sent in the page's config), so a label exists in one place.
import { CONFIG } from "./config.js";
import { _, LOCALE } from "./i18n.js";

const money = new Intl.NumberFormat(LOCALE, { style: "currency", currency: CONFIG.currency });
const grams = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
export const fmtMoney = (n) => money.format(Number(n) || 0);
export const isWeighed = (unit) => Boolean(CONFIG.units[unit]?.weighed);
/** "per kg" after a price; undefined for a unit the server does not know. */
export const unitLabel = (unit) => CONFIG.units[unit]?.label;
export function fmtQty(q, unit) {
  return isWeighed(unit) ? `${grams.format(Number(q))} kg` : `${q} ×`;
}
/** A receipt line's quantity and price: "3 × €0.99", "0.500 kg × €1.99 per 100 g". */
export function fmtQtyAtPrice(q, unit, price) {
  return isWeighed(unit) ? `${fmtQty(q, unit)} × ${fmtMoney(price)} ${unitLabel(unit)}` : `${fmtQty(q, unit)} ${fmtMoney(price)}`;
}
export const fmtDate = (d) => new Date(d).toLocaleDateString(LOCALE, { day: "numeric", month: "short", year: "numeric" });
/** A moment (a receipt's time) as the customer's language writes it. */
export const fmtDateTime = (d, options = {}) => new Date(d).toLocaleString(LOCALE, options);
/** A weight the customer typed: "0,5" in German, "0.5" in English. */
export const parseQty = (text) => Number(String(text).trim().replace(",", "."));
export const STOCK_TEXT = { in_stock: _("In stock"), low: _("Only a few left"), out_of_stock: _("Out of stock") };

// The server's line price (catalog.models Product.price_for): the price of one item, or of one kg
// for weighed goods (the API's price_per_kg, whatever the price unit), × the quantity, rounded half
// up to the cent. Whole cents × whole grams is exact in a double, so this matches the till.
const quantityPrice = (item) => item.price_per_kg ?? item.unit_price ?? item.price;
export const lineEstimate = (item, q) =>
  Math.floor((Math.round(quantityPrice(item) * 100) * Math.round(q * 1000) + 500) / 1000) / 100;

/** Deposit and voucher totals of a priced cart or receipt, as rows of a totals list. */
export function extraRows(p) {
  return (Number(p.deposit_total) ? `<div class="deposit"><dt>${_("Deposits")}</dt><dd>${fmtMoney(p.deposit_total)}</dd></div>` : "")
    + (Number(p.voucher_total) ? `<div class="discount"><dt>${_("Deposit vouchers")}</dt><dd id="voucher-total">−${fmtMoney(p.voucher_total)}</dd></div>` : "");
}
/** VAT per rate (the server's taxes list): what an EU receipt must show. */
export function vatTable(taxes, caption = _("VAT included")) {
  if (!taxes?.length) return "";
  const pct = (r) => `${Number(r).toLocaleString(LOCALE)} %`;
  return `<table class="vat"><caption>${caption}</caption>
    <thead><tr><th scope="col">${_("Rate")}</th><th scope="col">${_("Net")}</th><th scope="col">${_("VAT")}</th><th scope="col">${_("Gross")}</th></tr></thead>
    <tbody>${taxes.map((t) => `<tr><th scope="row">${pct(t.rate)}</th><td>${fmtMoney(t.net)}</td><td>${fmtMoney(t.tax)}</td><td>${fmtMoney(t.gross)}</td></tr>`).join("")}</tbody></table>`;
}
