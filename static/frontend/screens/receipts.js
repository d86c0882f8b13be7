// Receipts: one receipt with its exit code, and the list (the phone's own when offline).
import { api, OfflineError } from "../api.js";
import { localUrl } from "../codes.js";
import { extraRows, fmtDateTime, fmtMoney, fmtQtyAtPrice, vatTable } from "../format.js";
import { load, save } from "../storage.js";
import { html, raw } from "../ui.js";
import { _ } from "../i18n.js";

const RECEIPTS_KEY = "scango.receipts";

export function rememberReceipt(id) {
  const ids = load(RECEIPTS_KEY, []).filter((x) => x !== id);
  save(RECEIPTS_KEY, [id, ...ids].slice(0, 50));
}

export async function receiptScreen(view, transactionId) {
  const r = await api(`/api/receipts/${encodeURIComponent(transactionId)}`);
  const lines = r.lines || r.items || [];
  view.innerHTML = html`<h1 class="h1">${history.state?.justPaid ? _("Paid. Thank you!") : _("Receipt")}</h1>
    <section class="exit card" aria-labelledby="exit-title">
      <h2 id="exit-title">${_("Exit code")}</h2>
      ${raw(r.exit_qr_url ? html`<img id="exit-qr" class="exit-qr" src="${localUrl(r.exit_qr_url)}" alt="${_("Exit QR code %(code)s", { code: r.exit_code || "" })}" width="220" height="220">` : "")}
      ${raw(r.exit_code ? html`<p class="exit-code">${r.exit_code}</p>` : "")}
      <p class="muted small">${_("Show this at the exit gate.")}</p>
    </section>
    <p class="muted">${r.created_at ? fmtDateTime(r.created_at) : ""} · ${r.status === "success" ? _("Paid") : r.status}</p>
    <ul class="list receipt-lines">${lines.map((l) => raw(html`<li>
      <div class="line-head"><span>${l.name}</span><b>${fmtMoney(l.line_total ?? l.total ?? l.price * l.quantity)}</b></div>
      <p class="muted small">${fmtQtyAtPrice(l.quantity, l.unit || "each", l.unit_price ?? l.price)}</p>
      ${raw((l.discounts || []).map((d) => html`<p class="discount"><span>${d.reason}</span><b>−${fmtMoney(d.amount)}</b></p>`).join(""))}</li>`))}
      ${(r.deposits || []).map((d) => raw(html`<li class="deposit-line"><div class="line-head"><span>${d.name}</span><b>${fmtMoney(d.total)}</b></div>
        <p class="muted small">${d.quantity} × ${fmtMoney(d.unit_amount)}</p></li>`))}
      ${(r.vouchers || []).map((v) => raw(html`<li class="voucher-line"><div class="line-head"><span>${_("Deposit voucher %(code)s", { code: v.code })}</span><b>−${fmtMoney(v.applied)}</b></div></li>`))}</ul>
    <dl class="totals">
      ${raw(r.subtotal !== undefined ? html`<div><dt>${_("Subtotal")}</dt><dd>${fmtMoney(r.subtotal)}</dd></div>` : "")}
      ${raw(Number(r.discount_total) ? html`<div class="discount"><dt>${_("Discounts")}</dt><dd>−${fmtMoney(r.discount_total)}</dd></div>` : "")}
      ${raw(extraRows(r))}
      <div class="total"><dt>${_("Total paid")}</dt><dd id="receipt-total">${fmtMoney(r.receipt?.total ?? r.total)}</dd></div>
      ${raw(Number(r.tax) ? html`<div class="muted small"><dt>${_("of which tax")}</dt><dd>${fmtMoney(r.tax)}</dd></div>` : "")}
    </dl>
    ${raw(vatTable(r.taxes))}
    ${(r.returns || []).map((ret) => raw(html`<section class="card return" aria-label="${_("Return")}">
      <h2>${_("Returned %(date)s", { date: fmtDateTime(ret.created_at, { dateStyle: "medium", timeStyle: "short" }) })}</h2>
      <ul class="list">${ret.lines.map((l) => raw(html`<li><div class="line-head"><span>${l.quantity} × ${l.name}</span><b>−${fmtMoney(Number(l.amount) + Number(l.deposit))}</b></div></li>`))}</ul>
      <p class="total-row"><span>${_("Refunded")}</span> <b>${fmtMoney(ret.amount)}</b></p>
      ${raw(vatTable(ret.taxes, _("VAT refunded")))}</section>`))}
    <p class="muted small">${_("Transaction %(id)s", { id: r.transaction_id || transactionId })}</p>
    <p><a class="button secondary" href="/receipts">${_("All receipts")}</a></p>`;
}

export async function receiptsScreen(view) {
  let receipts = [];
  let offline = false;
  try {
    const data = await api("/api/receipts");
    receipts = Array.isArray(data) ? data : data.results || data.receipts || [];
  } catch (err) {
    if (!(err instanceof OfflineError)) throw err;
    offline = true;
    receipts = load(RECEIPTS_KEY, []).map((id) => ({ transaction_id: id }));
  }
  view.innerHTML = html`<h1 class="h1">${_("Your receipts")}</h1>
    ${raw(offline ? html`<p class="notice">${_("You are offline: showing the receipts saved on this phone.")}</p>` : "")}
    ${raw(receipts.length ? html`<ul class="list receipt-list">${receipts.map((r) => raw(html`<li><a href="/receipts/${encodeURIComponent(r.transaction_id)}">
      <span><strong>${r.created_at ? fmtDateTime(r.created_at, { dateStyle: "medium", timeStyle: "short" }) : r.transaction_id}</strong>
      <small>${r.lines ? _("%(n)s products", { n: r.lines.length }) : ""}</small></span>
      <b>${r.total !== undefined || r.receipt ? fmtMoney(r.receipt?.total ?? r.total) : ""}</b></a></li>`))}</ul>`
    : html`<p>${_("No receipts on this phone yet.")}</p>`)}`;
}
