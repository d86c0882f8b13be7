// The start screen: scan or type a code, and today's first offers.
import { api } from "../api.js";
import { manualForm, wireManualForm } from "../codes.js";
import { html, raw } from "../ui.js";
import { promoList } from "./promotions.js";
import { _ } from "../i18n.js";

export async function homeScreen(view) {
  view.innerHTML = html`<h1 class="h1">${_("Scan, bag, pay. No queue.")}</h1>
    <p class="lead">${_("Scan the labels or barcodes as you shop; pay from your phone and show the exit code on your way out.")}</p>
    <p><a class="button big" href="/scan">${raw('<svg aria-hidden="true" viewBox="0 0 24 24"><path d="M3 7V4h4M17 4h4v3M21 17v3h-4M7 20H3v-3M7 12h10"/></svg>')} ${_("Start scanning")}</a></p>
    ${raw(manualForm())}
    <section aria-labelledby="offers-title"><h2 id="offers-title">${_("Today's offers")}</h2><div id="offers"><p class="muted">${_("Loading offers…")}</p></div></section>`;
  wireManualForm(view);
  const box = view.querySelector("#offers");
  api("/api/promotions").then((data) => {
    box.innerHTML = data.promotions.length ? promoList(data.promotions.slice(0, 3)) : `<p class="muted">${_("No offers right now.")}</p>`;
  }, () => { box.innerHTML = `<p class="muted">${_("Offers are not available offline.")}</p>`; });
}
