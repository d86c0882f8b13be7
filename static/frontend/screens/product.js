// A product: its price, stock and offers, and the quantity or weight to add to the cart. The
// first screen may come with the product already in the page (a deep-linked label).
import { api } from "../api.js";
import { addToCart, cart } from "../cart.js";
import { CONFIG } from "../config.js";
import { fmtDate, fmtMoney, fmtQty, isWeighed, lineEstimate, parseQty, STOCK_TEXT, unitLabel } from "../format.js";
import { html, raw, toast } from "../ui.js";
import { _, localized } from "../i18n.js";
import { showProductRecommendations } from "../recommendations.js";

export async function productScreen(view, productId) {
  const state = history.state || {};
  const initial = document.getElementById("initial-product");
  let product = state.product?.product_id === productId ? state.product : null;
  if (!product && initial) {
    const embedded = JSON.parse(initial.textContent);
    if (embedded.product_id === productId) product = embedded;
  }
  initial?.remove(); // only for the first screen the server rendered
  if (!product) product = await api(`/api/products/${encodeURIComponent(productId)}`);
  const { name, description } = localized(product);
  const weighed = isWeighed(product.unit);
  const step = weighed ? 0.1 : 1;
  const inCart = cart.lines[product.product_id];
  let qty = state.weight ? Number(state.weight) : weighed ? 0.5 : 1;
  // Under STOCK_POLICY=record an item the records call sold out is still sold: it is in the customer's hand.
  const soldOut = product.active === false || (CONFIG.refusesBeyondStock && product.stock_state === "out_of_stock");
  view.innerHTML = html`<article class="product">
    <img class="product-img" src="${product.image_url || CONFIG.placeholderImage}" alt="${product.image_url ? name : ""}" width="320" height="240" decoding="async">
    <h1 class="h1" id="product-name">${name}</h1>
    <p class="price"><span class="amount" id="product-price">${fmtMoney(product.price)}</span> <span class="unit">${unitLabel(product.unit) || product.unit}</span></p>
    ${raw(Number(product.deposit) ? html`<p class="muted" id="product-deposit">${_("plus %(amount)s deposit", { amount: fmtMoney(product.deposit) })}</p>` : "")}
    <p class="stock ${product.stock_state}">${product.active === false ? _("No longer sold") : STOCK_TEXT[product.stock_state] || ""}</p>
    ${raw(product.min_age ? html`<p class="notice age-notice">${_("Age-restricted: %(age)s+. Staff check your ID at the exit.", { age: product.min_age })}</p>` : "")}
    ${raw(product.promotions?.length ? html`<section class="promos" aria-labelledby="promo-title"><h2 id="promo-title">${_("Offers on this product")}</h2>
      <ul>${product.promotions.map((p) => raw(html`<li><a href="/promo/${encodeURIComponent(p.id)}"><strong>${p.name || p.description}</strong>
        <span>${p.name ? p.description : ""}</span>${raw(p.valid_until ? html`<small>${_("Until %(date)s", { date: fmtDate(p.valid_until) })}</small>` : "")}</a></li>`))}</ul></section>` : "")}
    <form class="add card" id="add-form" novalidate>
      <label for="qty">${weighed ? _("Weight (kg)") : _("Quantity")}</label>
      <div class="stepper">
        <button type="button" class="step" data-step="-1" aria-label="${_("Less")}">−</button>
        <input id="qty" name="qty" type="number" inputmode="${weighed ? "decimal" : "numeric"}" min="${weighed ? 0.005 : 1}" step="${weighed ? 0.005 : 1}" value="${weighed ? qty.toFixed(3) : qty}">
        <button type="button" class="step" data-step="1" aria-label="${_("More")}">+</button>
      </div>
      <p class="line-estimate" id="estimate" aria-live="polite"></p>
      <button class="button big" type="submit" id="add" ${soldOut ? "disabled" : ""}>${soldOut ? _("Not available") : _("Add to cart")}</button>
      ${raw(inCart ? html`<p class="muted" id="in-cart">${_("In your cart: %(qty)s", { qty: fmtQty(inCart.quantity, inCart.unit) })} · <a href="/cart">${_("View cart")}</a></p>` : "")}
    </form>
    ${raw(description ? html`<h2>${_("About this product")}</h2><p class="description">${description}</p>` : "")}
    <p class="muted small">${_("Code %(code)s", { code: product.product_id })}${product.gtin ? ` · GTIN ${product.gtin}` : ""}${product.category ? ` · ${product.category.name}` : ""}</p>
    <div id="product-recs"></div>
  </article>`;
  showProductRecommendations(view.querySelector("#product-recs"), product.product_id); // after the product: never delays it
  const input = view.querySelector("#qty");
  const estimate = view.querySelector("#estimate");
  const readQty = () => {
    const n = parseQty(input.value);
    return weighed ? Math.round(n * 1000) / 1000 : Math.trunc(n);
  };
  const showEstimate = () => {
    const n = readQty();
    const total = fmtMoney(lineEstimate(product, n));
    estimate.textContent = !(n > 0) ? "" : weighed ? `${fmtQty(n, product.unit)} = ${total}` : `${n} × ${fmtMoney(product.price)} = ${total}`;
  };
  showEstimate();
  input.addEventListener("input", showEstimate);
  for (const b of view.querySelectorAll(".step")) {
    b.addEventListener("click", () => {
      const n = Math.max(weighed ? 0.1 : 1, readQty() + Number(b.dataset.step) * step);
      input.value = weighed ? n.toFixed(3) : String(n);
      showEstimate();
    });
  }
  view.querySelector("#add-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const n = readQty();
    if (!(n > 0)) { toast(weighed ? _("Enter a weight in kg, e.g. 0.5.") : _("Enter a quantity of 1 or more."), { error: true }); input.focus(); return; }
    addToCart({ ...product, name }, n); // the cart shows the name the customer read
    toast(_("Added %(qty)s %(name)s", { qty: fmtQty(n, product.unit), name }));
  });
  if (state.t0) {
    view.addEventListener("screen:shown", () => {
      requestAnimationFrame(() => {
        performance.mark("product:rendered");
        performance.measure("scan-to-screen", { start: state.t0, end: "product:rendered" });
        history.replaceState({ ...state, t0: undefined }, "");
      });
    }, { once: true });
  }
}
