#!/usr/bin/env bash
# Times a report through the API: starts `philia serve` on the given database, asks for the
# report's path (after /api/v1) N times, one after another, and prints the times in
# milliseconds, fastest first, then the median. E.g. the customers report (G2) for the last year
# by month on the tenant of `philia bench analytics`:
#
#   scripts/report_latency.sh target/release/philia sqlite:///tmp/b/panel.db analytics 7802 \
#     "/reports/customers?period=custom&from=$(date -d '-364 days' +%F)&to=$(date +%F)&group=month" 25
set -euo pipefail
philia=$1 url=$2 tenant=$3 port=$4 path=$5 times=${6:-25}
. "$(dirname "$0")/serve_for_timing.sh"
serve_for_timing "$philia" "$url" "$tenant" "$port" read_only
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1$path")
[ "$status" = 200 ] || { echo "the report answered $status" >&2; exit 1; }
for _ in $(seq 1 "$times"); do
  curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/v1$path"
done | sort -n | awk '{ms[NR] = $1 * 1000; printf "%.1f ", ms[NR]} END {printf "\nmedian %.1f ms\n", (NR % 2) ? ms[(NR + 1) / 2] : (ms[NR / 2] + ms[NR / 2 + 1]) / 2}'
