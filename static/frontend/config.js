// What the server told the page about itself (frontend/views.py _client_config, a JSON script tag).
export const CONFIG = JSON.parse(document.getElementById("app-config").textContent);
