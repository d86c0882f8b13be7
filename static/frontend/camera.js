// The camera on a screen: scanner.js (and its decoder) is imported only when the screen shows, so
// the first load stays small, and stopped when the screen goes. The customer's scan screen and the
// staff's exit check share it.
import { CONFIG } from "./config.js";

// onCode(text, t0) returns true to stop reading; problem(err) is the sentence shown when the
// camera cannot start. Returns the screen's cleanup.
export function cameraWhenShown(view, { onCode, problem }) {
  const status = view.querySelector("#scan-status");
  let stopped = false;
  let scanner = null;
  view.addEventListener("screen:shown", async () => {
    try {
      const { startScanner } = await import(CONFIG.scannerModule);
      if (stopped) return;
      scanner = await startScanner({
        video: view.querySelector("#camera"),
        torchButton: view.querySelector("#torch"),
        decoderModule: CONFIG.decoderModule,
        decoderWasm: CONFIG.decoderWasm,
        decoderWasmIntegrity: CONFIG.decoderWasmIntegrity,
        onStatus: (message) => { status.textContent = message; },
        onCode,
      });
      if (stopped) scanner.stop();
    } catch (err) {
      view.querySelector("#scanner").classList.add("no-camera");
      status.textContent = problem(err);
      status.classList.add("problem");
    }
  }, { once: true });
  return () => { stopped = true; scanner?.stop(); };
}
