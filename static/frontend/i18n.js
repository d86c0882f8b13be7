// The customer's language. The server picks it (the switch's cookie, else the browser's language)
// and sends that language's message catalogue in the page's config (frontend/i18n.py); the screens
// write English and ask for each text through _(), which `makemessages -d djangojs` collects.
import { CONFIG } from "./config.js";

export const LANGUAGE = CONFIG.language;
/** What Intl calls it: money, weights and dates in the customer's own way (2,41 € in German). */
export const LOCALE = CONFIG.locale;

/** A product's name and description in the customer's language, else the shop's own. */
export function localized(product) {
  const found = product.translations?.[LANGUAGE];
  return { name: found?.name || product.name, description: found ? found.description : product.description };
}

/** A text in the customer's language; %(name)s placeholders are filled from `values`. */
export function _(text, values = {}) {
  const found = CONFIG.messages[text] || text;
  return found.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
}

