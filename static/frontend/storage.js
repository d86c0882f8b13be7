// What the app keeps on the phone (localStorage, JSON): the cart, the checkout attempt, receipts.
export const load = (key, fallback) => { try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; } };
export const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));
