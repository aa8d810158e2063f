#!/usr/bin/env bash
# Refresh the vendored Swagger UI (the offline /docs page) from the npm registry: `make vendor-swagger-ui`
# or `tools/vendor/swagger_ui.sh 5.35.0`. Copies only the two files the page loads, plus the licence texts,
# then rewrites the file names in web/assets.py; update the version in static/vendor/README.md by hand.
set -euo pipefail
VERSION=${1:-5.35.0}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENDOR="$ROOT/src/aftersales/web/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
rm -f "$VENDOR"/swagger-ui-*.bundle.js "$VENDOR"/swagger-ui-*.css
cp "$WORK/package/swagger-ui-bundle.js" "$VENDOR/swagger-ui-$VERSION.bundle.js"
cp "$WORK/package/swagger-ui.css" "$VENDOR/swagger-ui-$VERSION.css"
cp "$WORK/package/LICENSE" "$VENDOR/swagger-ui.LICENSE"
cp "$WORK/package/NOTICE" "$VENDOR/swagger-ui.NOTICE"
cp "$WORK/package/swagger-ui-bundle.js.LICENSE.txt" "$VENDOR/swagger-ui.THIRD-PARTY.txt"
sed -i -E "s/^SWAGGER_UI_VERSION = \".*\"/SWAGGER_UI_VERSION = \"$VERSION\"/" "$ROOT/src/aftersales/web/assets.py"
echo "swagger-ui-dist $VERSION vendored into $VENDOR"
