// Checkout: the total, the payment form (Stripe's Payment Element or the simulated gateway), the
// bank's confirmation step, and what a decline, a timeout or a stale cart tell the customer.
import { api, ApiError, OfflineError } from "../api.js";
import { cart, cartInSync, emptyCart, pricedCart, syncCart } from "../cart.js";
import { CONFIG } from "../config.js";
import { extraRows, fmtMoney } from "../format.js";
import { navigate } from "../router.js";
import { load, save } from "../storage.js";
import { html, raw, toast } from "../ui.js";
import { rememberReceipt } from "./receipts.js";
import { _ } from "../i18n.js";

// One Idempotency-Key per attempt, kept (also across reloads) until the attempt resolves, so a
// double tap, a retry after a timeout or a reload can never charge twice.
const ATTEMPT_KEY = "scango.checkout.attempt";
// The error codes checkout and quote send when the cart held here no longer matches what the
// server sells (catalog/errors.py, checkout/errors.py): stock, a withdrawn or unknown product, a
// quantity the server refuses, a total priced before a change, or a coupon that no longer applies.
const STALE_CART_CODES = new Set([
  "out_of_stock", "product_inactive", "unknown_product", "product_not_found", "invalid_quantity", "total_mismatch",
  "coupon_not_applicable", // e.g. its last use went to another checkout: the cart names why
]);

function checkoutRequest(paymentToken) {
  return {
    customer_id: "",
    cart: Object.values(cart.lines).map((l) => ({ product_id: l.product_id, quantity: Number(l.quantity) })),
    payment_method: "credit_card",
    total_amount: Number(pricedCart().total),
    payment_token: paymentToken,
    cart_token: cart.token,
    vouchers: (cart.server.vouchers || []).map((v) => v.code),
    coupons: cart.coupons,
  };
}
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
function attemptFor(body) {
  const signature = JSON.stringify(body);
  const existing = load(ATTEMPT_KEY, null);
  if (existing && existing.signature === signature) return existing.key;
  const key = uuid();
  save(ATTEMPT_KEY, { key, signature });
  return key;
}
const resolveAttempt = () => localStorage.removeItem(ATTEMPT_KEY);

export async function checkoutScreen(view) {
  if (!Object.keys(cart.lines).length) {
    view.innerHTML = html`<h1 class="h1">${_("Checkout")}</h1><p>${_("Your cart is empty.")}</p><p><a class="button" href="/scan">${_("Scan a product")}</a></p>`;
    return;
  }
  if (!navigator.onLine) {
    view.innerHTML = html`<h1 class="h1">${_("Checkout")}</h1><p class="notice error">${_("Paying needs the network. Connect to the shop's Wi-Fi or mobile data, then try again. Your cart is saved on this phone.")}</p>
      <p><a class="button secondary" href="/cart">${_("Back to the cart")}</a></p>`;
    return;
  }
  await syncCart();
  if (!cartInSync()) throw new OfflineError();
  const config = await api("/api/checkout/config");
  const priced = pricedCart(); // with the coupons, as the checkout will charge
  const total = priced.total;
  view.innerHTML = html`<h1 class="h1">${_("Checkout")}</h1>
    <dl class="totals">
      <div><dt>${_("%(n)s items", { n: cart.server.item_count ?? Object.keys(cart.lines).length })}</dt><dd>${fmtMoney(priced.subtotal)}</dd></div>
      ${raw(Number(priced.discount_total) ? html`<div class="discount"><dt>${_("Discounts")}</dt><dd>−${fmtMoney(priced.discount_total)}</dd></div>` : "")}
      ${raw(extraRows(priced))}
      <div class="total"><dt>${_("To pay")}</dt><dd id="pay-total">${fmtMoney(total)}</dd></div>
    </dl>
    <form id="pay-form" class="card" novalidate>
      ${raw(config.gateway === "stripe" ? `<div id="payment-element" class="stripe-box"></div>` : html`
        <fieldset class="test-gateway"><legend><span class="test-badge">TEST</span> ${_("Simulated payment: no real money moves")}</legend>
          ${config.test_outcomes.map((o, i) => raw(html`<label class="choice"><input type="radio" name="outcome" value="${o.token}" ${i === 0 ? "checked" : ""}> ${o.label}</label>`))}
        </fieldset>`)}
      <p id="pay-status" class="pay-status" role="status" aria-live="polite"></p>
      <button class="button big" id="pay" type="submit">${_("Pay %(amount)s", { amount: fmtMoney(total) })}</button>
    </form>
    <p class="muted small">${_("Paying needs the network. Card details go straight to the payment provider; this shop never sees them.")}</p>`;
  const form = view.querySelector("#pay-form");
  const button = view.querySelector("#pay");
  const status = view.querySelector("#pay-status");
  const say = (text, kind = "") => { status.textContent = text; status.className = `pay-status ${kind}`; };
  let stripe = null, elements = null;
  if (config.gateway === "stripe") {
    ({ stripe, elements } = await mountStripe(config, total, view.querySelector("#payment-element")));
  }
  let inFlight = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (inFlight) return; // the second tap of a double tap
    if (!navigator.onLine) { say(_("You are offline. Paying needs the network: reconnect and tap Pay again."), "error"); return; }
    inFlight = true;
    button.disabled = true;
    button.textContent = _("Paying…");
    say(_("Sending the payment…"));
    const slow = setTimeout(() => say(_("The payment provider is slow to answer. Please wait, don't close this page: you will not be charged twice."), "slow"), 2500);
    try {
      let token;
      if (stripe) {
        const { error: submitError } = await elements.submit();
        if (submitError) throw new ApiError(400, { message: submitError.message });
        const { error, paymentMethod } = await stripe.createPaymentMethod({ elements });
        if (error) throw new ApiError(400, { message: error.message });
        token = paymentMethod.id;
      } else {
        token = form.outcome.value;
      }
      const body = checkoutRequest(token);
      const key = attemptFor(body);
      let result = await api("/api/checkout", { method: "POST", body, headers: { "Idempotency-Key": key } })
        .catch(checkoutAnswer);
      if (result.status === "requires_action") {
        clearTimeout(slow);
        say(_("Your bank wants you to confirm this payment."));
        result = await authenticate(result, stripe, view, say);
      }
      if (result.status === "pending") result = await waitForPayment(result, say);
      if (result.status === "success") {
        resolveAttempt();
        rememberReceipt(result.transaction_id);
        emptyCart();
        syncCart();
        await navigate(`/receipts/${encodeURIComponent(result.transaction_id)}`, { justPaid: true }, { replace: true });
        return;
      }
      resolveAttempt(); // a decline is final: a new tap is a new attempt
      say(`${result.message || _("The payment was declined.")} ${_("Nothing was charged. Choose another way to pay and try again.")}`, "error");
    } catch (err) {
      if (err instanceof OfflineError) {
        say(_("The connection dropped before the payment was confirmed. Tap Pay again when you are back online: you will not be charged twice."), "error");
      } else {
        if (err instanceof ApiError && err.status < 500) resolveAttempt(); // refused before any charge
        say(`${err.message} ${_("Nothing was charged.")}`, "error");
        if (STALE_CART_CODES.has(err.code)) {
          // The cart on this phone is not what the server would sell: show the server's, with
          // its problems named, instead of a total that can only be refused again.
          toast(`${err.message} ${_("Nothing was charged. Check your cart.")}`, { error: true });
          await syncCart();
          await navigate("/cart");
          return;
        }
      }
    } finally {
      clearTimeout(slow);
      inFlight = false;
      button.disabled = false;
      button.textContent = _("Try again: pay %(amount)s", { amount: fmtMoney(total) });
    }
  });
}

/** A declined payment is an answer (402 with the checkout body), not an error. */
function checkoutAnswer(err) {
  if (err instanceof ApiError && err.body?.transaction_id && err.body?.status) return err.body;
  throw err;
}

async function authenticate(result, stripe, view, say) {
  if (stripe) {
    const { error } = await stripe.handleNextAction({ clientSecret: result.client_secret });
    if (error) return { status: "failed", message: error.message };
  } else {
    // The simulated gateway's stand-in for the bank's 3-D Secure page.
    const box = document.createElement("div");
    box.className = "card auth-box";
    box.innerHTML = html`<p><span class="test-badge">TEST</span> ${_("Your bank asks you to confirm this payment.")}</p>
      <button type="button" class="button" id="auth-ok">${_("Confirm payment")}</button>
      <button type="button" class="button secondary" id="auth-cancel">${_("Cancel")}</button>`;
    view.querySelector("#pay-form").before(box);
    box.querySelector("#auth-ok").focus();
    const confirmed = await new Promise((resolve) => {
      box.querySelector("#auth-ok").onclick = () => resolve(true);
      box.querySelector("#auth-cancel").onclick = () => resolve(false);
    });
    box.remove();
    if (!confirmed) return { status: "failed", message: _("You cancelled the confirmation.") };
  }
  say(_("Confirming the payment…"));
  return api(`/api/checkout/${encodeURIComponent(result.transaction_id)}/confirm`, { method: "POST", body: {} })
    .catch(checkoutAnswer);
}

async function waitForPayment(result, say) {
  say(_("The payment provider is still working on it. Please wait…"), "slow");
  for (let i = 0; i < 30; i += 1) {
    await new Promise((r) => setTimeout(r, 2000));
    try {
      const receipt = await api(`/api/receipts/${encodeURIComponent(result.transaction_id)}`);
      if (receipt.status !== "pending") return { ...result, ...receipt };
    } catch (err) {
      if (!(err instanceof OfflineError)) throw err;
    }
  }
  return { ...result, status: "pending", message: _("The payment is still pending.") };
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src; s.onload = resolve; s.onerror = () => reject(new OfflineError());
    document.head.append(s);
  });
}
async function mountStripe(config, total, mount) {
  await loadScript(CONFIG.stripeJs); // Stripe's own script, only when the shop uses Stripe
  const stripe = window.Stripe(config.publishable_key);
  const elements = stripe.elements({
    mode: "payment", amount: Math.round(Number(total) * 100), currency: config.currency.toLowerCase(),
    paymentMethodCreation: "manual", appearance: { theme: "stripe", variables: { colorPrimary: "#0b6e4f" } },
  });
  elements.create("payment").mount(mount);
  return { stripe, elements };
}
