// Recommendations: "often bought together" on a product's screen, "your usual items" and "often
// bought together" under the cart. Extras: a failed or offline request shows nothing.
import { api } from "./api.js";
import { CONFIG } from "./config.js";
import { fmtMoney, unitLabel } from "./format.js";
import { productPath } from "./router.js";
import { html, raw } from "./ui.js";
import { _, localized } from "./i18n.js";

/** A titled list of recommended products, each with the offer running on it; "" when empty. */
export function recommendationList(id, title, products) {
  if (!products.length) return "";
  return html`<section class="recs" id="${id}" aria-labelledby="${id}-title"><h2 id="${id}-title">${title}</h2>
    <ul class="list product-list">${products.map((p) => raw(html`<li data-product="${p.product_id}"><a href="${productPath(p.product_id)}">
      <img src="${p.image_url || CONFIG.placeholderImage}" alt="" width="48" height="48" loading="lazy">
      <span><strong>${localized(p).name}</strong>${raw((p.promotions || []).map((o) => html`<small class="rec-offer">${_("Offer: %(name)s", { name: o.name || o.description })}</small>`).join(""))}</span>
      <b>${fmtMoney(p.price)}<small>${unitLabel(p.unit) || ""}</small></b></a></li>`))}</ul></section>`;
}

async function quietly(path) {
  try { return await api(path); } catch { return null; }
}

/** Fill `box` with what is often bought with the product. */
export async function showProductRecommendations(box, productId) {
  const data = await quietly(`/api/products/${encodeURIComponent(productId)}/recommendations`);
  if (data && box.isConnected) box.innerHTML = recommendationList("recs-together", _("Often bought together"), data.bought_together);
}

let cartRecs = { key: null, data: null };

/** Fill `box` under the cart; asks the server again once its cart has the phone's products. */
export async function showCartRecommendations(box, productIds, { inSync = true } = {}) {
  const key = [...productIds].sort().join(" ");
  if (cartRecs.key !== key && inSync) cartRecs = { key, data: await quietly("/api/cart/recommendations") };
  const data = cartRecs.data;
  if (!data || !box.isConnected) return;
  // The server may not have the latest lines yet: what is in the cart on the phone is left out too.
  const missing = (products) => products.filter((p) => !productIds.includes(p.product_id));
  box.innerHTML = recommendationList("recs-usual", _("Your usual items"), missing(data.usual))
    + recommendationList("recs-cart-together", _("Often bought together"), missing(data.bought_together));
}
