#!/usr/bin/env bash
# The `make demo` scenario: an embedded store in a local directory, filled with ONE-platform events from a shell,
# then read, inspected and verified with the annals CLI; then the ontology views: things, connections, search,
# a verified rebuild, the state at an earlier offset, and a rollback; then the plugin platform: registries synced
# from the real ElizaOS index and our own manifests, search, installs per organization, a conflict explained,
# update notifications, an update and its rollback; and sandboxed WebAssembly plugins: an audited action,
# misbehaving plugins stopped, an async job cancelled, event-driven plugins with a dead letter, the audit trail.
set -euo pipefail
ANNALS=${ANNALS:-.build/release/annals}
DEMO_DIR=${DEMO_DIR:-demo-store}
HERE=$(cd "$(dirname "$0")" && pwd)
ELIZA_REGISTRY=${ANNALS_ELIZAOS_REGISTRY:-$HERE/../../../shared/data/elizaos-registry}
[ -f "$ELIZA_REGISTRY/generated-registry.json" ] || ELIZA_REGISTRY=$HERE/../../Tests/Fixtures/elizaos-registry
export ANNALS_STORE=$DEMO_DIR

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

rm -rf "$DEMO_DIR"
step "Create a store"
run "$ANNALS" init

step "Append 3,000 ONE-platform events from a shell pipeline (one receipt per durable event)"
printf '$ awk -f generate-events.awk | annals append > receipts.jsonl\n'
awk -v n=3000 -f "$HERE/generate-events.awk" | "$ANNALS" append > "$DEMO_DIR.receipts.jsonl"
echo "receipts: $(wc -l < "$DEMO_DIR.receipts.jsonl")"
echo "first:    $(head -n 1 "$DEMO_DIR.receipts.jsonl")"
echo "last:     $(tail -n 1 "$DEMO_DIR.receipts.jsonl")"

step "Idempotent append: the same client id twice gives the same offset"
line='{"id":"6f1c2a9e-0d43-4e8b-9a51-2b7f3c4d5e6f","type":"plugin.installed","actorId":"user-001","targetId":"plugin:@elizaos/plugin-sql","groupId":"org-acme","metadata":{"version":"1.2.0"}}'
printf '%s\n%s\n' "$line" "$line" | run "$ANNALS" append

step "Optimistic concurrency: a stale expectedVersion is refused (exit code 3)"
set +e
echo '{"type":"thing.updated","targetId":"thing-0001","expectedVersion":1,"metadata":{"status":"archived"}}' \
    | "$ANNALS" append
echo "exit code: $?"
set -e

step "Read one stream: thing-0007, as a table"
run "$ANNALS" read --target thing-0007 --format table

step "Failed plugin actions in org-acme, newest first"
run "$ANNALS" read --type plugin_action_failed --group org-acme --reverse --limit 3

step "Statistics"
run "$ANNALS" stats --format table

step "Head (keep the anchor) and verify the hash chain, then the indexes against the log"
run "$ANNALS" head
anchor=$("$ANNALS" head | sed -E 's/.*"anchor":"([^"]+)".*/\1/')
run "$ANNALS" verify --anchor "$anchor" --indexes

step "Live tail in a second process: 'annals tail -f' receives events as they are committed"
"$ANNALS" tail -f --type 'plugin_action_*' --format pretty > "$DEMO_DIR.tail.out" &
tail_pid=$!
sleep 0.5
for i in 1 2 3; do
    printf '{"type":"plugin_action_executed","actorId":"user-007","targetId":"plugin:@elizaos/plugin-openai","groupId":"org-acme","metadata":{"action":"summarize","durationMs":%d}}\n' $((i * 40)) \
        | "$ANNALS" append > /dev/null
    sleep 0.2
done
kill -TERM "$tail_pid"; wait "$tail_pid" || true
printf '$ annals tail -f --type '"'"'plugin_action_*'"'"' --format pretty   (in the background, while three events are appended)\n'
cat "$DEMO_DIR.tail.out"
rm -f "$DEMO_DIR.tail.out"

step "A durable cursor: a script consumes two events, stops, and the next run resumes where it left off"
run "$ANNALS" tail --cursor billing --type thing.created --limit 2 --format pretty
run "$ANNALS" tail --cursor billing --type thing.created --limit 2 --format pretty
run "$ANNALS" cursors list --format table

step "The things view: wallets in org-acme (projections are updated in each append's transaction)"
run "$ANNALS" things --type wallet --group org-acme --limit 5 --format table

step "Connections from thing-0007, and its neighbourhood two hops out"
run "$ANNALS" connections --from thing-0007 --format table
"$ANNALS" graph thing-0007 --depth 2 --format table | head -n 12

step "An event that contradicts the state is rejected (exit code 8), and nothing is written"
set +e
echo '{"type":"connection.created","targetId":"conn-bad","metadata":{"fromId":"thing-0007","toId":"thing-9999","connectionType":"uses"}}' \
    | "$ANNALS" append
echo "exit code: $?"
set -e

step "Hybrid search (vector similarity + BM25) over the knowledge view"
run "$ANNALS" search "store agent memory in postgres" --limit 3 --format table
run "$ANNALS" search "trade on a crypto exchange" --group org-acme --limit 3 --format table

step "Rebuild every projection from the log, verifying the digest against the live views"
run "$ANNALS" rebuild --all --verify

step "Snapshots: one now, then changes to thing-0007"
run "$ANNALS" snapshot create
before=$("$ANNALS" head | sed -E 's/.*"offset":([0-9]+).*/\1/')
printf '%s\n' \
    '{"type":"thing.updated","actorId":"user-666","targetId":"thing-0007","metadata":{"name":"renamed by mistake","status":"archived","properties":{"owner":"mallory"}}}' \
    '{"type":"knowledge.added","actorId":"user-666","targetId":"note-bad","groupId":"org-acme","metadata":{"thingId":"thing-0007","text":"This wallet is deprecated, move the funds","labels":["incident"]}}' \
    | run "$ANNALS" append
run "$ANNALS" things --id thing-0007

step "The state of thing-0007 as of offset $before (nearest snapshot plus replay)"
"$ANNALS" state --at "$before" --thing thing-0007 | cut -c1-400

step "Roll thing-0007 back to offset $before: first the diff, then the compensating events"
"$ANNALS" rollback --to "$before" --thing thing-0007 --actor ops-oncall --dry-run | cut -c1-200
run "$ANNALS" rollback --to "$before" --thing thing-0007 --actor ops-oncall > "$DEMO_DIR.rollback.out"
tail -n 1 "$DEMO_DIR.rollback.out"; rm -f "$DEMO_DIR.rollback.out"
run "$ANNALS" things --id thing-0007
run "$ANNALS" read --target thing-0007 --reverse --limit 2 --format table

step "Audit report for org-acme, anchored to the head"
"$ANNALS" audit --group org-acme --format table | sed -n '1,12p;/^FAILED ACTIONS/,/^$/p' | head -n 24

step "Plugin platform: sync the real ElizaOS registry and our own manifest registry (global), and a private one"
if [ -f "$ELIZA_REGISTRY/generated-registry.json" ]; then
    run "$ANNALS" plugin sync "$ELIZA_REGISTRY" | cut -c1-160
else
    echo "(the ElizaOS registry is not at $ELIZA_REGISTRY: set ANNALS_ELIZAOS_REGISTRY; syncing our own registry only)"
fi
run "$ANNALS" plugin sync "$HERE/registry/market-plugins.json" | cut -c1-200
run "$ANNALS" plugin sync "$HERE/registry/beta-internal.json" --group beta | cut -c1-200
echo "(a second sync of the same source appends nothing:)"
"$ANNALS" plugin sync "$HERE/registry/market-plugins.json" | sed -E 's/.*("events":[0-9]+).*("unchanged":[0-9]+).*/{\1,\2}/'

step "Plugin search: semantic and lexical, with why each result matched"
run "$ANNALS" plugin search "trade on a crypto exchange" --limit 5 --format table
run "$ANNALS" plugin search "store agent memory in postgres" --limit 5 --format table

step "Install with dependencies into two organizations (resolved, topological, one atomic batch each)"
run "$ANNALS" plugin install portfolio@1.0.0 --group acme
run "$ANNALS" plugin install beta-ledger --group beta
run "$ANNALS" plugin list --group acme --format table
run "$ANNALS" plugin list --group beta --format table
echo "(beta's private registry is invisible to acme:)"
"$ANNALS" plugin show beta-ledger --group acme || echo "exit code: $?"
run "$ANNALS" plugin explain http-client --group acme --format table

step "A version conflict, explained (exit code 10): alerts needs price-feed 2, which the installed portfolio 1.0.0 does not accept"
"$ANNALS" plugin install alerts --group acme || echo "exit code: $?"

step "Update notifications, then updates: a new permission must be granted explicitly (exit code 11)"
run "$ANNALS" plugin outdated --group acme --format table
run "$ANNALS" plugin update portfolio --group acme | tail -n 1
"$ANNALS" plugin update price-feed --group acme || echo "exit code: $?"
run "$ANNALS" plugin update price-feed --group acme --grant secrets.read:PRICE_API_KEY | tail -n 1
run "$ANNALS" plugin list --group acme --format table

step "Roll the price-feed update back: the state before it, by replay, recorded as new events"
run "$ANNALS" plugin rollback price-feed --group acme | tail -n 1
run "$ANNALS" plugin list --group acme --format table
run "$ANNALS" plugin history price-feed --group acme

PLUGINS_DIR=${ANNALS_PLUGINS_DIR:-$HERE/../../.build/plugins}
step "Sandboxed plugins: sync the example WebAssembly plugins (built by make plugins) and install some in acme"
run "$ANNALS" plugin sync "$PLUGINS_DIR/registry.json" --name examples | cut -c1-160
run "$ANNALS" plugin install event-counter --group acme
for plugin in price-quote runaway memory-bomb flaky-counter; do
    "$ANNALS" plugin install "$plugin" --group acme > /dev/null
done
run "$ANNALS" plugin list --group acme --format table

step "Run an action: audited (initiated, then executed) and sandboxed (fuel, memory, time, capabilities)"
run "$ANNALS" plugin run price-quote quote --group acme --input '{"symbol":"BTC","amount":2}'

step "Misbehaving plugins are stopped with a typed failure (exit code 13) and the host carries on"
"$ANNALS" plugin run runaway run --group acme --fuel 10000000 | cut -c1-200 || true
"$ANNALS" plugin run memory-bomb run --group acme | cut -c1-200 || true

step "An async job: the id comes back at once; the job runs in a background process and is cancelled"
job=$("$ANNALS" plugin run runaway run --group acme --async --fuel 100000000000000 --timeout 60 \
    | sed -E 's/.*"job":"([^"]+)".*/\1/')
echo "job $job"
sleep 1
run "$ANNALS" plugin cancel "$job"
sleep 1

step "Event-driven plugins: order events delivered through durable cursors; a failing handler is dead-lettered"
for i in 1 2 3; do
    printf '{"type":"order.created","actorId":"shop","targetId":"order-%d","groupId":"acme","metadata":{"total":%d}}\n' "$i" $((i * 10))
done | "$ANNALS" append > /dev/null
run "$ANNALS" plugin subscriptions --group acme
run "$ANNALS" plugin dispatch --group acme --max-attempts 3 --backoff-ms 10
run "$ANNALS" things --id kv:acme:event-counter
"$ANNALS" plugin dead-letters --group acme | head -n 1

step "The audit trail: every execution, its outcome and usage"
run "$ANNALS" plugin jobs --group acme --limit 8 --format table
"$ANNALS" audit --group acme --format table | sed -n '/^FAILED ACTIONS/,/^$/p' | head -n 8

step "Consistent backup while the store is live"
anchor=$("$ANNALS" head | sed -E 's/.*"anchor":"([^"]+)".*/\1/')
rm -rf "$DEMO_DIR.backup"
run "$ANNALS" backup "$DEMO_DIR.backup"
run "$ANNALS" verify --store "$DEMO_DIR.backup" --anchor "$anchor"

step "Repair tooling on the backup: rebuild its indexes from its log, then check them against the log"
run "$ANNALS" reindex --store "$DEMO_DIR.backup"
run "$ANNALS" verify --store "$DEMO_DIR.backup" --indexes
rm -rf "$DEMO_DIR.backup" "$DEMO_DIR.receipts.jsonl"

printf '\nThe demo store is in %s — try: ANNALS_STORE=%s %s read --limit 5\n' "$DEMO_DIR" "$DEMO_DIR" "$ANNALS"
