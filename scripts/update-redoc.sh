#!/usr/bin/env bash
# Refresh the Redoc bundle that GET /docs serves from the binary
# (issuer/httpapi/redoc/): the npm package's standalone bundle, at the pinned
# version, with its license beside it. Run `make update-redoc`, then check
# /docs (TestDocsRendersOffline) and commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${REDOC_VERSION:-3.0.1}"
dest=issuer/httpapi/redoc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "redoc@$version" >/dev/null)
tar -xzf "$tmp"/redoc-"$version".tgz -C "$tmp"
mkdir -p "$dest"
cp "$tmp/package/bundles/redoc.standalone.js" "$dest/redoc.standalone.js"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
echo "redoc $version: $(wc -c < "$dest/redoc.standalone.js") bytes in $dest"
