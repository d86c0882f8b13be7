// The camera scanner: loaded only when the scan screen opens, so the first load stays small.
// Uses the browser's own BarcodeDetector when it reads every format we need, else the
// barcode-detector ponyfill on zxing-wasm, served from our static files (never a CDN).
import { _ } from "./i18n.js";

const FORMATS = ["qr_code", "ean_13", "ean_8", "upc_a", "upc_e"];
const RETRY_SAME_CODE_MS = 3000;

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const supported = await window.BarcodeDetector.getSupportedFormats();
    if (!["qr_code", "ean_13"].every((f) => supported.includes(f))) return null;
    return new window.BarcodeDetector({ formats: FORMATS.filter((f) => supported.includes(f)) });
  } catch {
    return null;
  }
}

async function wasmDetector(decoderModule, decoderWasm, decoderWasmIntegrity) {
  const { BarcodeDetector, prepareZXingModule } = await import(decoderModule);
  const wasmUrl = new URL(decoderWasm, location.href).href;
  // The decoder is fetched with its SRI hash, like the scripts: a tampered .wasm is refused.
  // zxing-wasm never rejects when instantiateWasm fails, hence the race with our own failure.
  let refuse;
  const refused = new Promise((_, reject) => { refuse = reject; });
  const instantiateWasm = (imports, receive) => {
    WebAssembly.instantiateStreaming(fetch(wasmUrl, { integrity: decoderWasmIntegrity, credentials: "same-origin" }), imports)
      .then(({ instance, module }) => receive(instance, module), refuse);
    return {};
  };
  // Fetch and compile the wasm now, while the camera starts, instead of on the first frame.
  await Promise.race([
    prepareZXingModule({
      overrides: { locateFile: (file, prefix) => (file.endsWith(".wasm") ? wasmUrl : prefix + file), instantiateWasm },
      fireImmediately: true,
    }),
    refused,
  ]);
  return new BarcodeDetector({ formats: FORMATS });
}

/**
 * Start the back camera and decode frames until onCode(text, frameTime) resolves true.
 * Rejects with the getUserMedia error (NotAllowedError, NotFoundError...) so the page can explain it.
 */
export async function startScanner({ video, torchButton, decoderModule, decoderWasm, decoderWasmIntegrity, onStatus, onCode }) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error("No camera API in this browser"), { name: "NotSupportedError" });
  }
  // No camera at all: say so at once, and don't fetch the decoder for nothing.
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => null);
  if (devices && !devices.some((d) => d.kind === "videoinput")) {
    throw Object.assign(new Error("No camera"), { name: "NotFoundError" });
  }
  // The decoder downloads while the customer answers the camera prompt.
  const detectorReady = nativeDetector().then((d) => d || wasmDetector(decoderModule, decoderWasm, decoderWasmIntegrity));
  detectorReady.catch(() => {}); // reported below, after the camera question
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  let stopped = false;
  const stop = () => {
    stopped = true;
    stream.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
  };
  try {
    video.srcObject = stream;
    await video.play();
    setUpTorch(stream.getVideoTracks()[0], torchButton);
    onStatus(_("Getting the decoder ready…"));
    const detector = await detectorReady;
    onStatus(_("Point the camera at a QR code or barcode."));
    performance.mark("scanner:ready");
    runLoop(video, detector, onCode, onStatus, () => stopped, stop);
  } catch (err) {
    stop();
    throw err;
  }
  return { stop };
}

function runLoop(video, detector, onCode, onStatus, isStopped, stop) {
  let lastMiss = { text: null, at: 0 };
  const nextFrame = (fn) => (video.requestVideoFrameCallback ? video.requestVideoFrameCallback(fn) : requestAnimationFrame(fn));
  const tick = async (now, frame) => {
    if (isStopped()) return;
    // The frame's own time when the browser gives it, so a measure starts when the code was on screen.
    const frameTime = frame?.presentationTime ?? performance.now();
    if (video.readyState >= 2) {
      try {
        const codes = await detector.detect(video);
        const hit = codes.find((c) => c.rawValue);
        const fresh = hit && !(hit.rawValue === lastMiss.text && performance.now() - lastMiss.at < RETRY_SAME_CODE_MS);
        if (fresh && !isStopped()) {
          performance.mark("scan:detected");
          if (navigator.vibrate && navigator.userActivation?.hasBeenActive) navigator.vibrate(40);
          onStatus(_("Found %(code)s", { code: hit.rawValue }));
          if (await onCode(hit.rawValue, frameTime)) { stop(); return; }
          lastMiss = { text: hit.rawValue, at: performance.now() };
          onStatus(_("Point the camera at a QR code or barcode."));
        }
      } catch (err) {
        onStatus(_("The decoder failed (%(reason)s). Type the code below instead.", { reason: err.message }));
        return;
      }
    }
    if (!isStopped()) nextFrame(tick);
  };
  nextFrame(tick);
}

function setUpTorch(track, button) {
  const caps = track.getCapabilities ? track.getCapabilities() : {};
  if (!caps.torch) return; // most front cameras and desktop webcams have none
  button.hidden = false;
  button.addEventListener("click", async () => {
    const on = button.getAttribute("aria-pressed") !== "true";
    try {
      await track.applyConstraints({ advanced: [{ torch: on }] });
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? _("Torch off") : _("Torch");
    } catch {
      button.hidden = true;
    }
  });
}
