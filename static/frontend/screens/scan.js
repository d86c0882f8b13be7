// The scan screen: the camera (camera.js) and the typed-code form beside it.
import { cameraWhenShown } from "../camera.js";
import { manualForm, openCode, wireManualForm } from "../codes.js";
import { html, raw, toast } from "../ui.js";
import { _ } from "../i18n.js";

export async function scanScreen(view) {
  view.innerHTML = html`<h1 class="h1">${_("Scan a product")}</h1>
    <div class="scanner" id="scanner">
      <video id="camera" muted playsinline aria-label="${_("Camera view")}"></video>
      <div class="aim" aria-hidden="true"></div>
      <p class="scan-status" id="scan-status" role="status">${_("Starting the camera…")}</p>
      <button class="button torch" id="torch" type="button" aria-pressed="false" hidden>${_("Torch")}</button>
    </div>
    ${raw(manualForm())}`;
  wireManualForm(view);
  return cameraWhenShown(view, {
    onCode: async (text, t0) => {
      try {
        await openCode(text, { t0 });
        return true;
      } catch (err) {
        toast(err.status === 404 ? _("No product with the code “%(code)s”.", { code: text }) : err.message, { error: true });
        return false; // keep scanning
      }
    },
    problem: cameraMessage,
  });
}
function cameraMessage(err) {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    return _("The camera is not available in this browser here (it needs a secure https:// page). Type the code below instead.");
  }
  if (err.name === "NotAllowedError" || err.name === "SecurityError") {
    return _("Camera permission was refused. Allow the camera for this site in your browser settings, or type the code below.");
  }
  if (err.name === "NotFoundError" || err.name === "OverconstrainedError") {
    return _("No camera was found on this device. Type the code below instead.");
  }
  if (err.name === "NotReadableError") return _("The camera is busy in another app. Close it, or type the code below.");
  return _("The scanner could not start (%(reason)s). Type the code below instead.", { reason: err.message });
}
