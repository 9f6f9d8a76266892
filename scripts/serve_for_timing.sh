# Sourced by the timing scripts: makes a key of `role` for `tenant`, starts `philia serve` on the
# database at 127.0.0.1:`port`, stops it when the script exits, and waits until it answers.
# Sets `key`.
#
#   serve_for_timing PHILIA DATABASE_URL TENANT PORT ROLE
serve_for_timing() {
  local philia=$1 url=$2 tenant=$3 port=$4 role=$5
  key=$("$philia" --database-url "$url" key create --tenant "$tenant" --role "$role" 2>/dev/null | tail -1)
  "$philia" --database-url "$url" serve --listen "127.0.0.1:$port" > /dev/null 2>&1 &
  server=$!
  trap 'kill $server; wait $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.5; done
}
