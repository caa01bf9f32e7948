#!/usr/bin/env bash
# Times `lanepolicy check`, `build` and `decide` beside Cedar's `validate`
# and `authorize` on the same generated workload, as whole processes, and
# prints a table of medians, ratios and peak memory.
#
#   benches/peers/compare.sh                      # 1k, 10k, 100k rules, per-context shape
#   SIZES="1000 10000" RUNS=10 benches/peers/compare.sh
#   SHAPE=one-lane SIZES="1000 10000" benches/peers/compare.sh
#
# Environment: SIZES (rule counts), SHAPE (per-context, one-lane, wide; see
# examples/gen_policies.rs), RUNS (hyperfine runs per command; sizes of
# 100,000 rules and more use LARGE_RUNS, default 3), WORK (where the
# workloads are written; a temporary directory by default), CEDAR (the
# Cedar CLI; installed with `cargo install cedar-policy-cli --root
# /tmp/cedar` when missing). Needs hyperfine, python3 and GNU time. Not run
# in CI: it takes minutes and installs the Cedar CLI.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZES=${SIZES:-"1000 10000 100000"}
SHAPE=${SHAPE:-per-context}
RUNS=${RUNS:-10}
LARGE_RUNS=${LARGE_RUNS:-3}
WORK=${WORK:-$(mktemp -d)}

CEDAR=${CEDAR:-$(command -v cedar || echo /tmp/cedar/bin/cedar)}
if ! [ -x "$CEDAR" ]; then
    echo "installing the Cedar CLI into /tmp/cedar (takes minutes)..." >&2
    cargo install cedar-policy-cli --root /tmp/cedar
    CEDAR=/tmp/cedar/bin/cedar
fi
command -v hyperfine >/dev/null || {
    echo "hyperfine is missing: apt-get install -y hyperfine" >&2
    exit 2
}

cargo build --release --quiet --bin lanepolicy --example gen_policies
LP=$PWD/target/release/lanepolicy
GEN=$PWD/target/release/examples/gen_policies

# Peak resident memory of one run, in MiB.
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1 | awk '{printf "%.0f", $1 / 1024}'; }

for n in $SIZES; do
    d=$WORK/$SHAPE-$n
    "$GEN" "$d" --shape "$SHAPE" --rules "$n"
    { read -r lane; read -r action; read -r phrase; } <"$d/request.txt"
    runs=$RUNS
    [ "$n" -ge 100000 ] && runs=$LARGE_RUNS
    check=("$LP" check "$d")
    build=("$LP" build "$d" -o "$d/bundle.json")
    "${build[@]}" >/dev/null
    # `--now` may not be earlier than the clock: the start of tomorrow (UTC).
    decide=("$LP" decide --bundle "$d/bundle.json" --lane "$lane" --action "$action" --confirm "$phrase" --now "$(date -u -d tomorrow +%Y-%m-%dT00:00:00Z)")
    validate=("$CEDAR" validate --schema "$d/cedar/schema.cedarschema" --policies "$d/cedar/policies.cedar")
    authorize=("$CEDAR" authorize --policies "$d/cedar/policies.cedar" --entities "$d/cedar/entities.json" --request-json "$d/cedar/request.json")
    # Both sides must allow the request, or the comparison means nothing.
    "${decide[@]}" >/dev/null
    "${authorize[@]}" | grep -q ALLOW
    q() { printf '%q ' "$@"; }
    hyperfine -N --style none --runs "$runs" --warmup 1 --export-json "$d/times.json" \
        -n check "$(q "${check[@]}")" \
        -n build "$(q "${build[@]}")" \
        -n decide "$(q "${decide[@]}")" \
        -n validate "$(q "${validate[@]}")" \
        -n authorize "$(q "${authorize[@]}")" >/dev/null
    {
        echo "check $(peak "${check[@]}")"
        echo "build $(peak "${build[@]}")"
        echo "decide $(peak "${decide[@]}")"
        echo "validate $(peak "${validate[@]}")"
        echo "authorize $(peak "${authorize[@]}")"
    } >"$d/peak.txt"
done

python3 - "$WORK" "$SHAPE" $SIZES <<'PY'
import json, sys
work, shape, sizes = sys.argv[1], sys.argv[2], sys.argv[3:]
print(f"shape: {shape}; medians of whole processes; peak resident memory\n")
print("| rules | lanepolicy | median | peak | cedar | median | peak | cedar / lanepolicy |")
print("|---:|---|---:|---:|---|---:|---:|---:|")
pairs = [("check", "validate"), ("build", "validate"), ("decide", "authorize")]
for n in sizes:
    d = f"{work}/{shape}-{n}"
    times = {r["command"]: r["median"] for r in json.load(open(f"{d}/times.json"))["results"]}
    peak = dict(line.split() for line in open(f"{d}/peak.txt"))
    def ms(t):
        return f"{t * 1000:.0f} ms" if t < 10 else f"{t:.1f} s"
    for ours, theirs in pairs:
        ratio = times[theirs] / times[ours]
        print(f"| {int(n):,} | `{ours}` | {ms(times[ours])} | {peak[ours]} MiB | `{theirs}` | {ms(times[theirs])} | {peak[theirs]} MiB | {ratio:.1f}x |")
PY
