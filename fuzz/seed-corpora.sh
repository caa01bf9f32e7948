#!/bin/sh
# Seeds fuzz/corpus/<target>/ from the repository's fixtures. Run from the
# repository root: `sh fuzz/seed-corpora.sh`. Existing corpus files stay.
set -eu
c=fuzz/corpus
mkdir -p "$c/policy_bytes" "$c/policy_utf8" "$c/fmt" "$c/inventory" "$c/config" \
         "$c/test_file" "$c/bundle_bytes" "$c/bundle_structured"
for f in $(find policies tests/fixtures examples -name '*.policy' 2>/dev/null); do
    n=$(echo "$f" | tr '/' '_')
    cp "$f" "$c/policy_bytes/$n"; cp "$f" "$c/policy_utf8/$n"; cp "$f" "$c/fmt/$n"
done
for f in $(find policies tests/fixtures examples -name 'lanes.yaml' -o -path '*fixtures/inventory/*.yaml' 2>/dev/null); do
    cp "$f" "$c/inventory/$(echo "$f" | tr '/' '_')"
done
for f in $(find policies tests/fixtures examples -name 'lanepolicy.yaml' 2>/dev/null); do
    cp "$f" "$c/config/$(echo "$f" | tr '/' '_')"
done
for f in $(find policies tests/fixtures examples -name '*.test.yaml' 2>/dev/null); do
    cp "$f" "$c/test_file/$(echo "$f" | tr '/' '_')"
done
for f in tests/fixtures/bundles/*.json; do
    cp "$f" "$c/bundle_bytes/$(echo "$f" | tr '/' '_')"
done
# Hand-written seeds.
for d in fuzz/seeds/*/; do cp "$d"* "$c/$(basename "$d")/"; done
# Committed findings are seeds too.
for d in tests/fixtures/fuzz/*/; do
    [ -d "$d" ] || continue
    t=$(basename "$d")
    [ "$t" = bundle_structured ] && t=bundle_bytes
    [ -d "$c/$t" ] && cp "$d"* "$c/$t/" 2>/dev/null || true
done
# bundle_structured reads its bytes as mutations of the base bundles: a few
# random starts are enough.
for n in 1 2 3 4; do head -c 256 /dev/urandom > "$c/bundle_structured/random-$n"; done
