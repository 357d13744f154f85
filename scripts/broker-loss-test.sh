#!/usr/bin/env bash
# Runs the broker-loss test with one command. It starts a 3-node Apache Kafka
# cluster on 127.0.0.1 (scripts/testbroker/kafka.sh cluster-start, ports 19092
# to 19097) and runs the tests of integration/brokerloss_test.go, where
# TestBrokerLoss kills and restarts one node while it publishes. The cluster
# stops on exit, also when a test fails or the script is interrupted. The exit
# status is that of go test. Extra arguments go to go test, for example
# -timeout 20m.
set -euo pipefail
cd "$(dirname "$0")/.."

broker_script=$PWD/scripts/testbroker/kafka.sh

# Bash skips the EXIT trap when SIGINT (Ctrl-C) ends it, so the INT trap turns
# the signal into an exit, which runs the EXIT trap that stops the cluster.
# The TERM trap gives SIGTERM the same path.
trap 'exit 130' INT
trap 'exit 143' TERM

"$broker_script" cluster-start
trap '"$broker_script" cluster-stop' EXIT

WRPKAFKA_CLUSTER_BROKERS=$("$broker_script" cluster-bootstrap)
WRPKAFKA_CLUSTER_SCRIPT=$broker_script
export WRPKAFKA_CLUSTER_BROKERS WRPKAFKA_CLUSTER_SCRIPT

echo "== broker-loss test against $WRPKAFKA_CLUSTER_BROKERS"
status=0
go test -race -count=1 -v -tags 'integration brokerloss' -run '^TestBrokerLoss' ./integration/ "$@" || status=$?

# The node states and their memory use, before cluster-stop removes them.
"$broker_script" cluster-status || true
exit "$status"
