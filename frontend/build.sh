#!/bin/sh
# Copy the pinned front-end dependencies (package-lock.json) into static/vendor/, which is committed:
# running the shop needs no npm. Run after changing package.json:  npm ci && npm run vendor
set -eu
cd "$(dirname "$0")/.."
src=node_modules/barcode-detector/dist/es
dest=static/vendor
mkdir -p "$dest"
cp "$src/ponyfill.js" "$src/zxing-exported.js" "$dest/"
# The wasm must be the exact build the JS was compiled against (a mismatch fails at run time with
# "memory access out of bounds"), so take the one barcode-detector depends on, and check it.
wasm_version=$(node -p 'require("./node_modules/zxing-wasm/package.json").version')
grep -q "\"$wasm_version\"" "$src/zxing-exported.js" || {
  echo "zxing-wasm $wasm_version is not the version barcode-detector was built with" >&2
  exit 1
}
cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm "$dest/"
cp node_modules/barcode-detector/LICENSE "$dest/barcode-detector.LICENSE" 2>/dev/null || true
cp node_modules/zxing-wasm/LICENSE "$dest/zxing-wasm.LICENSE" 2>/dev/null || true
echo "static/vendor: barcode-detector $(node -p 'require("./node_modules/barcode-detector/package.json").version'), zxing-wasm $wasm_version"
ls -l "$dest"
# axe-core for the browser tests' accessibility checks (tests/fixtures/browser.py: axe_violations).
mkdir -p tests/fixtures/vendor
cp node_modules/axe-core/axe.min.js tests/fixtures/vendor/
cp node_modules/axe-core/LICENSE tests/fixtures/vendor/axe-core.LICENSE
echo "tests/fixtures/vendor: axe-core $(node -p 'require("./node_modules/axe-core/package.json").version')"
