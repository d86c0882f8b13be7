// Offers: the list of running promotions, and one promotion with its products.
import { api } from "../api.js";
import { CONFIG } from "../config.js";
import { fmtDate, fmtMoney, STOCK_TEXT, unitLabel } from "../format.js";
import { productPath } from "../router.js";
import { html, raw } from "../ui.js";
import { _, localized } from "../i18n.js";

export function promoList(promotions) {
  return html`<ul class="list promo-list">${promotions.map((p) => raw(html`<li><a href="/promo/${encodeURIComponent(p.id)}">
    <strong>${p.name || p.description}</strong>${raw(p.name ? html`<span>${p.description}</span>` : "")}
    <small>${p.valid_until ? _("Until %(date)s", { date: fmtDate(p.valid_until) }) : ""}</small></a></li>`))}</ul>`;
}

export async function promotionsScreen(view) {
  const data = await api("/api/promotions");
  view.innerHTML = html`<h1 class="h1">${_("Offers")}</h1>
    ${raw(data.promotions.length ? promoList(data.promotions) : html`<p>${_("No offers right now. Come back soon!")}</p>`)}`;
}

export async function promotionScreen(view, promotionId) {
  const url = new URL(location.href);
  const page = Number(url.searchParams.get("page") || 1);
  const promo = await api(`/api/promotions/${encodeURIComponent(promotionId)}?page=${page}`);
  const products = promo.products || { results: [], count: 0 };
  const STATUS = { active: _("On now"), upcoming: _("Starts soon"), ended: _("This offer has ended") };
  view.innerHTML = html`<h1 class="h1">${promo.name || promo.description}</h1>
    ${raw(promo.name ? html`<p class="lead">${promo.description}</p>` : "")}
    <p class="stock ${promo.status === "active" ? "in_stock" : "low"}" id="promo-status">${promo.message || STATUS[promo.status] || ""}</p>
    <h2>${_("Products in this offer (%(n)s)", { n: products.count })}</h2>
    <ul class="list product-list">${products.results.map((p) => raw(html`<li><a href="${productPath(p.product_id)}">
      <img src="${p.image_url || CONFIG.placeholderImage}" alt="" width="48" height="48" loading="lazy">
      <span><strong>${localized(p).name}</strong><small>${STOCK_TEXT[p.stock_state] || ""}</small></span>
      <b>${fmtMoney(p.price)}<small>${unitLabel(p.unit) || ""}</small></b></a></li>`))}</ul>
    <nav class="pager" aria-label="${_("Pages")}">
      ${raw(products.previous ? html`<a class="button secondary" href="/promo/${encodeURIComponent(promotionId)}?page=${page - 1}">${_("Previous")}</a>` : "")}
      ${raw(products.next ? html`<a class="button secondary" href="/promo/${encodeURIComponent(promotionId)}?page=${page + 1}">${_("Next")}</a>` : "")}
    </nav>`;
  if (history.state?.t0) performance.measure("scan-to-screen", { start: history.state.t0 });
}
