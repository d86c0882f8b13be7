// The cart screen: the phone's lines at once, the server's prices and discounts when in sync.
import { addCoupon, cart, cartInSync, changeVoucher, couponProblems, pricedCart, removeCoupon, setLine, syncCart, watchCart } from "../cart.js";
import { extraRows, fmtMoney, isWeighed, lineEstimate, parseQty, unitLabel } from "../format.js";
import { productPath } from "../router.js";
import { html, raw, toast } from "../ui.js";
import { _ } from "../i18n.js";
import { showCartRecommendations } from "../recommendations.js";

/** A printed coupon's link (/c/CODE, its QR): the code goes on the cart, which says whether it
 * applies; an empty cart keeps it for the basket to come. */
export async function couponLinkScreen(view, code) {
  try {
    await addCoupon(code);
  } catch (err) {
    toast(err.message, { error: true });
  }
  history.replaceState({}, "", "/cart"); // reloading or going back does not add it again
  return cartScreen(view);
}

export function cartScreen(view) {
  const render = () => {
    const lines = Object.values(cart.lines);
    const priced = pricedCart(); // with the coupon codes entered, when there are any
    const byId = Object.fromEntries((priced?.lines || []).map((l) => [l.product_id, l]));
    if (!lines.length) {
      view.innerHTML = html`<h1 class="h1">${_("Your cart")}</h1><p class="empty">${_("Your cart is empty.")}</p>
        <p><a class="button big" href="/scan">${_("Scan a product")}</a></p><div id="cart-recs"></div>`;
      showCartRecommendations(view.querySelector("#cart-recs"), []);
      return;
    }
    const estimate = lines.reduce((s, l) => s + lineEstimate(l, l.quantity), 0);
    view.innerHTML = html`<h1 class="h1">${_("Your cart")}</h1>
      ${raw(!priced ? html`<p class="notice" role="status">${navigator.onLine ? _("Updating prices…") : _("You are offline: your cart is saved on this phone. Offers are worked out when you are back online.")}</p>` : "")}
      ${raw((priced?.problems || []).map((p) => html`<p class="notice error">${p.message}</p>`).join(""))}
      <ul class="list cart-lines">${lines.map((l) => {
        const s = byId[l.product_id];
        const weighed = isWeighed(l.unit);
        return raw(html`<li class="cart-line" data-product="${l.product_id}">
          <div class="line-head"><a href="${productPath(l.product_id)}"><strong>${l.name}</strong></a>
            <b class="line-total">${fmtMoney(s ? s.line_total : lineEstimate(l, l.quantity))}</b></div>
          <p class="muted small">${fmtMoney(l.unit_price)} ${unitLabel(l.unit) || ""}</p>
          ${raw((s?.min_age ?? l.min_age) ? html`<p class="notice age-notice small">${_("%(age)s+: ID checked at the exit", { age: s?.min_age ?? l.min_age })}</p>` : "")}
          ${raw((s?.discounts || []).map((d) => html`<p class="discount"><span>${d.reason}</span><b>−${fmtMoney(d.amount)}</b></p>`).join(""))}
          <div class="line-actions">
            <div class="stepper small">
              <button type="button" class="step" data-step="-1" aria-label="${_("Less %(name)s", { name: l.name })}">−</button>
              <input type="number" aria-label="${weighed ? _("Weight in kg of %(name)s", { name: l.name }) : _("Quantity of %(name)s", { name: l.name })}" inputmode="${weighed ? "decimal" : "numeric"}"
                min="0" step="${weighed ? 0.005 : 1}" value="${weighed ? Number(l.quantity).toFixed(3) : l.quantity}">
              <button type="button" class="step" data-step="1" aria-label="${_("More %(name)s", { name: l.name })}">+</button>
            </div>
            <button type="button" class="button secondary remove">${_("Remove")}<span class="sr-only"> ${l.name}</span></button>
          </div></li>`);
      })}</ul>
      ${raw(priced ? extraLines(priced) : "")}
      ${raw(couponForm(priced))}
      <dl class="totals">
        ${raw(priced ? html`<div><dt>${_("Subtotal")}</dt><dd>${fmtMoney(priced.subtotal)}</dd></div>
          ${raw(Number(priced.discount_total) ? html`<div class="discount"><dt>${_("Discounts")}</dt><dd id="discount-total">−${fmtMoney(priced.discount_total)}</dd></div>` : "")}
          ${raw(extraRows(priced))}
          <div class="total"><dt>${_("Total")}</dt><dd id="cart-total">${fmtMoney(priced.total)}</dd></div>`
        : html`<div class="total"><dt>${_("Estimated total")}</dt><dd>${fmtMoney(estimate)}</dd></div>`)}
      </dl>
      <p><a class="button big ${priced && navigator.onLine ? "" : "disabled"}" href="/checkout" id="to-checkout"
        ${raw(priced && navigator.onLine ? "" : 'aria-disabled="true"')}>${_("Go to checkout")}</a></p>
      ${raw(navigator.onLine ? "" : html`<p class="notice">${_("Paying needs the network. Your cart stays on this phone until you are back online.")}</p>`)}
      <div id="cart-recs"></div>`;
    showCartRecommendations(view.querySelector("#cart-recs"), lines.map((l) => l.product_id), { inSync: cartInSync() });
    for (const li of view.querySelectorAll(".cart-line")) {
      const line = cart.lines[li.dataset.product];
      const weighed = isWeighed(line.unit);
      const input = li.querySelector("input");
      const setQty = (n) => {
        n = weighed ? Math.round(n * 1000) / 1000 : Math.trunc(n);
        setLine(line, Math.max(0, n));
      };
      input.addEventListener("change", () => setQty(parseQty(input.value)));
      for (const b of li.querySelectorAll(".step")) {
        b.addEventListener("click", () => setQty(Number(line.quantity) + Number(b.dataset.step) * (weighed ? 0.1 : 1)));
      }
      li.querySelector(".remove").addEventListener("click", () => { setLine(line, 0); toast(_("Removed %(name)s", { name: line.name })); });
    }
    view.querySelector("#coupon-form").addEventListener("submit", (e) => {
      e.preventDefault();
      addCoupon(e.currentTarget.code.value).catch((err) => toast(err.message, { error: true }));
    });
    for (const b of view.querySelectorAll(".remove-coupon")) {
      b.addEventListener("click", () => removeCoupon(b.dataset.code).catch((err) => toast(err.message, { error: true })));
    }
    for (const b of view.querySelectorAll(".remove-voucher")) {
      b.addEventListener("click", () => changeVoucher(b.dataset.code, { remove: true }).catch((e) => toast(e.message, { error: true })));
    }
    view.querySelector("#to-checkout")?.addEventListener("click", (e) => {
      if (e.currentTarget.getAttribute("aria-disabled")) { e.preventDefault(); e.stopPropagation(); }
    });
  };
  render();
  watchCart(() => {
    const focused = document.activeElement?.closest?.(".cart-line")?.dataset.product;
    const step = document.activeElement?.dataset?.step;
    const inCoupon = document.activeElement?.closest?.("#coupon-form");
    render();
    if (inCoupon) view.querySelector("#coupon-code")?.focus();
    if (focused) view.querySelector(`.cart-line[data-product="${CSS.escape(focused)}"] ${step ? `[data-step="${step}"]` : "input"}`)?.focus();
  });
  syncCart();
}

/** The coupon code field, the coupons applied (each a discount line) and why a code did not apply. */
function couponForm(priced) {
  const applied = (priced?.coupons || []).map((c) => html`<li class="coupon-line">
    <div class="line-head discount"><span>${_("Coupon %(code)s", { code: c.code })}</span><b>−${fmtMoney(c.amount)}</b></div>
    <button type="button" class="button secondary remove-coupon" data-code="${c.code}">${_("Remove")}<span class="sr-only"> ${_("coupon %(code)s", { code: c.code })}</span></button></li>`);
  return html`<form id="coupon-form" class="card coupon-form" novalidate>
    <label for="coupon-code">${_("Coupon code")}</label>
    <div class="coupon-row"><input id="coupon-code" name="code" maxlength="32" autocomplete="off" autocapitalize="characters" spellcheck="false">
      <button type="submit" class="button secondary">${_("Apply")}</button></div>
    ${raw(applied.length ? html`<ul class="list coupon-lines" aria-label="${_("Coupons")}">${raw(applied.join(""))}</ul>` : "")}
    <div id="coupon-problems" role="alert">${raw(couponProblems.map((p) => html`<p class="notice error">${p.message}</p>`).join(""))}</div>
  </form>`;
}

/** Deposits (never discounted) and scanned deposit vouchers: lines of their own. */
function extraLines(priced) {
  // The product's name as the customer read it (its translation), else the server's line name.
  const depositName = (d) => (cart.lines[d.product_id] ? _("Deposit: %(name)s", { name: cart.lines[d.product_id].name }) : d.name);
  const deposits = (priced.deposits || []).map((d) => html`<li class="deposit-line">
    <div class="line-head"><span>${depositName(d)}</span><b>${fmtMoney(d.total)}</b></div>
    <p class="muted small">${d.quantity} × ${fmtMoney(d.unit_amount)}</p></li>`);
  const vouchers = (priced.vouchers || []).map((v) => html`<li class="voucher-line">
    <div class="line-head"><span>${_("Deposit voucher %(code)s", { code: v.code })}</span><b>−${fmtMoney(v.applied)}</b></div>
    <button type="button" class="button secondary remove-voucher" data-code="${v.code}">${_("Remove")}<span class="sr-only"> ${_("voucher %(code)s", { code: v.code })}</span></button></li>`);
  const problems = (priced.problems || []).filter((p) => p.voucher);
  if (!deposits.length && !vouchers.length) return "";
  return html`<ul class="list extra-lines" aria-label="${_("Deposits and vouchers")}">${raw([...deposits, ...vouchers].join(""))}</ul>
    ${raw(problems.map((p) => html`<p class="notice error">${p.message}</p>`).join(""))}`;
}
