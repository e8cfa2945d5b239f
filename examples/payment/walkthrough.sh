#!/usr/bin/env bash
# The walk-through of docs/resilience.md: the payment API during a 3 s provider outage, with a
# 2 s circuit recovery timeout. A minimal MCP client over stdio: send one JSON-RPC request, wait
# for its answer, print both with the time since start and the round trip.
#
#   bash examples/payment/walkthrough.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --example payment_api
export PAYMENT_UPSTREAM=down PAYMENT_OUTAGE_SECS=3 CB_RECOVERY_TIMEOUT_SECS=2
log="${TMPDIR:-/tmp}/payment_api.log"
coproc SERVER { target/debug/examples/payment_api 2>"$log"; }
t0=$(date +%s%N)
rpc() { # ID METHOD PARAMS
  local start reply
  start=$(date +%s%N)
  echo "{\"jsonrpc\":\"2.0\",\"id\":$1,\"method\":\"$2\",\"params\":$3}" >&"${SERVER[1]}"
  IFS= read -r reply <&"${SERVER[0]}"
  printf '[t=%5d ms, took %3d ms] --> %s %s\n    <-- %s\n' $(((start - t0) / 1000000)) \
    $((($(date +%s%N) - start) / 1000000)) "$2" "$3" "$reply"
}
rpc 1 initialize '{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"walk","version":"1"}}'
echo '{"jsonrpc":"2.0","method":"notifications/initialized"}' >&"${SERVER[1]}"
charge='{"name":"charge_card","arguments":{"customer_id":"cus_42","amount_cents":1999}}'
for id in 2 3 4 5 6 7; do rpc "$id" tools/call "$charge"; done # 5 upstream errors, then rejected at once
rpc 8 resources/read '{"uri":"health://ready"}'
echo "# waiting 3 s: the outage ends 3 s after start-up, the circuit lets a probe through after 2 s"
sleep 3
rpc 9 tools/call "$charge" # the probe: succeeds and closes the circuit
rpc 10 tools/call "$charge"
rpc 11 resources/read '{"uri":"health://ready"}'
exec {SERVER[1]}>&- # close the server's stdin: it exits
wait "$SERVER_PID" || true
echo "# server log (stderr):"
cat "$log"
