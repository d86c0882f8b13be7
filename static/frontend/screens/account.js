// The account screen (/account). Accounts are optional: signed out, it offers sign-in, sign-up
// and a password reset link by email (the link's page, /account/reset-password, is here too);
// signed in, the loyalty card as a QR for the till or the staff screen, the points and what they
// are worth, the latest ledger entries, their data as a download, deleting the account, and
// sign-out.
// Nothing here is cached by the service worker: the account API is not in its CACHED_API.
import { api, ApiError } from "../api.js";
import { cart, emptyCart, syncCart } from "../cart.js";
import { fmtDateTime, fmtMoney } from "../format.js";
import { navigate } from "../router.js";
import { load, save } from "../storage.js";
import { html, raw, toast } from "../ui.js";
import { _ } from "../i18n.js";

// Whether this phone signed in. The session cookie is HttpOnly, and asking the server on every
// anonymous visit would answer 403, an error in the console each time.
const SIGNED_IN_KEY = "scango.signedIn";

const KINDS = {
  earn: _("Earned"),
  redeem: _("Redeemed"),
  expire: _("Expired"),
  adjust: _("Adjusted by staff"),
  reverse: _("Given back (refund or failed payment)"),
};

export async function accountScreen(view) {
  if (load(SIGNED_IN_KEY, false)) {
    try {
      const [account, points] = await Promise.all([api("/api/account"), api("/api/account/points")]);
      return signedIn(view, account, points);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 403) throw err;
      save(SIGNED_IN_KEY, false); // the session ended (expired, or signed out elsewhere)
    }
  }
  return signedOut(view);
}

function field(form, name, label, { type, autocomplete, hint = "" }) {
  const id = `${form}-${name}`;
  const describedBy = hint ? `${id}-hint ${id}-error` : `${id}-error`;
  return html`<div class="field">
    <label for="${id}">${label}</label>
    ${raw(hint ? html`<p class="muted small hint" id="${id}-hint">${hint}</p>` : "")}
    <input id="${id}" name="${name}" type="${type}" autocomplete="${autocomplete}" required aria-describedby="${describedBy}">
    <p class="field-error" id="${id}-error" role="alert"></p></div>`;
}

function signedOut(view) {
  view.innerHTML = html`<h1 class="h1">${_("Account")}</h1>
    <p class="lead">${_("With an account your receipts stay with you and every purchase collects points. You can shop without one.")}</p>
    <section class="card account-card" aria-labelledby="signin-title">
      <h2 id="signin-title">${_("Sign in")}</h2>
      <form id="signin" novalidate>
        ${raw(field("signin", "email", _("Email"), { type: "email", autocomplete: "username" }))}
        ${raw(field("signin", "password", _("Password"), { type: "password", autocomplete: "current-password" }))}
        <p class="field-error" id="signin-error" role="alert"></p>
        <p class="actions"><button class="button" type="submit">${_("Sign in")}</button>
          <button class="button secondary" type="button" id="forgot">${_("Forgot password?")}</button></p>
        <p class="small" id="reset-status" role="status"></p>
      </form>
    </section>
    <section class="card account-card" aria-labelledby="signup-title">
      <h2 id="signup-title">${_("Create an account")}</h2>
      <form id="signup" novalidate>
        ${raw(field("signup", "email", _("Email"), { type: "email", autocomplete: "email" }))}
        ${raw(field("signup", "password", _("Password"), { type: "password", autocomplete: "new-password", hint: _("At least 8 characters, not only digits, not a common password.") }))}
        <p class="field-error" id="signup-error" role="alert"></p>
        <p class="actions"><button class="button" type="submit">${_("Create account")}</button></p>
      </form>
    </section>`;
  wireForm(view.querySelector("#signin"), "/api/account/signin");
  wireForm(view.querySelector("#signup"), "/api/account/signup");
  const signin = view.querySelector("#signin");
  const status = view.querySelector("#reset-status");
  view.querySelector("#forgot").addEventListener("click", async (event) => {
    clearErrors(signin);
    status.textContent = "";
    event.target.disabled = true;
    try {
      await api("/api/account/password-reset", { method: "POST", body: { email: signin.email.value.trim() } });
      status.textContent = _("If an account has this email, we have sent it a link to choose a new password.");
    } catch (err) {
      showErrors(signin, err);
    } finally {
      event.target.disabled = false;
    }
  });
}

/** Sign in or sign up: the phone's cart goes to the server first, so the account adopts all of it. */
function wireForm(form, path) {
  onSubmit(form, async () => {
    if (cart.dirty) await syncCart();
    await api(path, { method: "POST", body: { email: form.email.value.trim(), password: form.password.value } });
    save(SIGNED_IN_KEY, true);
    await syncCart(); // the server merged this phone's cart into the account's: show that one
    await navigate("/account", {}, { replace: true });
    toast(_("You are signed in."));
  });
}

/** A form's submit: its button held while `send` runs, the API's refusal beside the fields. */
function onSubmit(form, send) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await send();
    } catch (err) {
      showErrors(form, err);
      button.disabled = false;
    }
  });
}

/** The emailed link's page (/account/reset-password?uid=…&token=…): choose a new password. */
export function resetPasswordScreen(view) {
  const params = new URLSearchParams(location.search);
  const link = { uid: params.get("uid") || "", token: params.get("token") || "" };
  view.innerHTML = html`<h1 class="h1">${_("Choose a new password")}</h1>
    <section class="card account-card" aria-label="${_("New password")}">
      <form id="reset" novalidate>
        ${raw(field("reset", "password", _("New password"), { type: "password", autocomplete: "new-password", hint: _("At least 8 characters, not only digits, not a common password.") }))}
        <p class="field-error" id="reset-error" role="alert"></p>
        <p class="actions"><button class="button" type="submit">${_("Save the new password")}</button></p>
      </form>
    </section>`;
  const form = view.querySelector("#reset");
  onSubmit(form, async () => {
    await api("/api/account/password-reset/confirm", { method: "POST", body: { ...link, password: form.password.value } });
    await navigate("/account", {}, { replace: true });
    toast(_("Your password is changed: sign in with it."));
  });
}

function clearErrors(form) {
  for (const box of form.querySelectorAll(".field-error")) box.textContent = "";
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
}

/** The API's own words next to the field they are about; the rest above the buttons. */
function showErrors(form, err) {
  const fields = err instanceof ApiError && err.code === "invalid" ? Object.entries(err.detail) : [];
  let first = null;
  for (const [name, messages] of fields) {
    const input = form.elements[name];
    if (!input) continue;
    form.querySelector(`#${input.id}-error`).textContent = [].concat(messages).join(" ");
    input.setAttribute("aria-invalid", "true");
    first ||= input;
  }
  if (first) { first.focus(); return; }
  form.querySelector(`#${form.id}-error`).textContent = err.message;
  (err.code === "invalid_credentials" || !form.email ? form.password : form.email).focus();
}

function signedIn(view, account, points) {
  const entries = points.entries.slice(0, 10);
  view.innerHTML = html`<h1 class="h1">${_("Account")}</h1>
    <p>${_("Signed in as %(email)s", { email: account.email })}</p>
    <section class="card account-card loyalty-card" aria-labelledby="card-title">
      <h2 id="card-title">${_("Loyalty card")}</h2>
      <img id="card-qr" class="card-qr" src="/api/account/card.svg" alt="${_("Loyalty card QR code %(number)s", { number: account.card_number })}" width="220" height="220">
      <p class="card-number" id="card-number">${account.card_number}</p>
      <p class="muted small">${_("Show this at the till to collect points, or type the number as your customer number.")}</p>
    </section>
    <section class="card account-card" aria-labelledby="points-title">
      <h2 id="points-title">${_("Points")}</h2>
      <p class="points"><b id="points-balance">${_("%(points)s points", { points: account.points })}</b>
        <span id="points-value">${_("worth %(amount)s", { amount: fmtMoney(account.points_value) })}</span></p>
      ${raw(entries.length ? html`<h3>${_("Latest points")}</h3><ul class="list points-list">${entries.map((e) => raw(html`<li>
        <div class="line-head"><span>${KINDS[e.kind] || e.kind}</span><b>${e.points > 0 ? "+" : ""}${e.points}</b></div>
        <p class="muted small">${fmtDateTime(e.created_at, { dateStyle: "medium", timeStyle: "short" })}${e.transaction_id ? ` · ${_("Transaction %(id)s", { id: e.transaction_id })}` : ""}</p></li>`))}</ul>`
        : html`<p class="muted">${_("No points yet: they come with your purchases.")}</p>`)}
    </section>
    <section class="card account-card" id="account-data" aria-labelledby="data-title">
      <h2 id="data-title">${_("Your data")}</h2>
      <p><a class="button secondary" href="/api/account/export" download id="export">${_("Download my data")}</a></p>
      <p><button class="button secondary" type="button" id="signout">${_("Sign out")}</button></p>
      <details class="delete-account">
        <summary>${_("Delete my account")}</summary>
        <form id="delete" novalidate>
          <p class="small">${_("Your points are forfeited. Your receipts stay in the shop's books, with nothing that leads back to you. This cannot be undone.")}</p>
          ${raw(field("delete", "password", _("Your password, to confirm"), { type: "password", autocomplete: "current-password" }))}
          <p class="field-error" id="delete-error" role="alert"></p>
          <p><button class="button danger" type="submit">${_("Delete my account for good")}</button></p>
        </form>
      </details>
    </section>`;
  const form = view.querySelector("#delete");
  onSubmit(form, async () => {
    await api("/api/account", { method: "DELETE", body: { password: form.password.value } });
    await leave(_("Your account is deleted."));
  });
  view.querySelector("#signout").addEventListener("click", async (event) => {
    event.target.disabled = true;
    try {
      await api("/api/account/signout", { method: "POST" });
    } catch (err) {
      event.target.disabled = false;
      toast(err.message, { error: true });
      return;
    }
    await leave(_("You are signed out."));
  });
}

/** After sign-out or deletion: the cart stayed with the account; this phone starts a new one. */
async function leave(message) {
  save(SIGNED_IN_KEY, false);
  cart.token = null;
  emptyCart();
  await navigate("/account", {}, { replace: true });
  toast(message);
}
