#!/bin/sh
# Screenshots of every page at 390 and 1280 px for review (var/screenshots/<profile>-<locale>/),
# and the README tour's few (docs/tour/, made smaller with pngquant where it is installed).
# Needs Debian's chromium. Usage: scripts/tour_screenshots.sh [pytest -k expression]
set -eu
cd "$(dirname "$0")/.."
HIPPOCRATIC_SCREENSHOTS=1 .venv/bin/pytest -q -p no:cacheprovider -p no:xdist \
    tests/browser/test_what_people_see.py -k "${1:-every_page}" || true
mkdir -p docs/tour
for name in home-desktop privacy-phone your-data-phone staff-admin-desktop transparency-desktop; do
    shot="var/screenshots/tour/$name.png"
    [ -f "$shot" ] || continue
    if command -v pngquant >/dev/null; then
        pngquant --force --quality 60-85 --strip --output "docs/tour/$name.png" "$shot"
    else
        cp "$shot" "docs/tour/$name.png"
    fi
done
ls -l docs/tour/
