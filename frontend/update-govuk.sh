#!/usr/bin/env bash
# Rebuild static/govuk/ and static/css/application.css from the GOV.UK Frontend
# release pinned in package.json. The results are committed, so running the app
# needs neither Node nor a CDN.
#
# To update GOV.UK Frontend:
#   1. change the pinned version in frontend/package.json and read the release notes
#      (https://github.com/alphagov/govuk-frontend/releases): markup changes reach
#      templates/base.html and templates/includes/;
#   2. run `frontend/update-govuk.sh` (needs Node.js 20 and npm);
#   3. run the test suite (the browser tests run axe on every page) and commit
#      frontend/package.json, frontend/package-lock.json, static/govuk/ and static/css/.
set -euo pipefail
cd "$(dirname "$0")"

# `npm install` rather than `npm ci`: after a version bump the lock file must move too.
npm install --no-audit --no-fund --silent

source_dir=node_modules/govuk-frontend/dist/govuk
version=$(node -p "require('./node_modules/govuk-frontend/package.json').version")

rm -rf ../static/govuk
mkdir -p ../static/govuk/assets ../static/css
# Images only: the fonts are GDS Transport, which services outside GOV.UK may not use.
cp -R "$source_dir/assets/images" ../static/govuk/assets/images
cp "$source_dir/govuk-frontend.min.js" "$source_dir/govuk-frontend.min.js.map" ../static/govuk/
echo "$version" > ../static/govuk/VERSION

npx sass --style=compressed --no-source-map --quiet-deps scss/application.scss ../static/css/application.css

echo "Built static/ from govuk-frontend $version"
