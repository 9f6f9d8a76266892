#!/usr/bin/env bash
# Times the live count of the 5-condition segment of `philia bench analytics` through the API:
# starts `philia serve` on the given database, posts the rule to /api/v1/segments/preview twelve
# times and prints the times in seconds, fastest first, then the count.
#
#   scripts/segment_preview_latency.sh target/release/philia sqlite:///tmp/b/panel.db analytics 7801
set -euo pipefail
philia=$1 url=$2 tenant=$3 port=${4:-7801}
. "$(dirname "$0")/serve_for_timing.sh"
serve_for_timing "$philia" "$url" "$tenant" "$port" admin
rule='{"rule": {"all": [
  {"field": "spend", "op": "gte", "value": 5000000},
  {"field": "invoices", "op": "gte", "value": 3},
  {"field": "last_purchase_at", "op": "within_last_days", "value": 180},
  {"field": "has_mobile", "op": "eq", "value": true},
  {"not": {"field": "rfm_segment", "op": "in", "value": ["lost", "hibernating"]}}]}}'
answer=$(mktemp)
for _ in $(seq 1 12); do
  curl -s -o "$answer" -w '%{time_total}\n' -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d "$rule" "http://127.0.0.1:$port/api/v1/segments/preview"
done | sort -n | tr '\n' ' '
echo
cat "$answer"
echo
rm -f "$answer"
