#!/usr/bin/env bash
# Runs the real-Kafka integration suite with one command.
#
# With WRPKAFKA_BROKERS set, the suite runs against those bootstrap servers.
# Without it, this script starts a local Apache Kafka broker from Maven
# Central jars (scripts/testbroker/kafka.sh), runs the suite and a short
# bench against it, and stops the broker on exit, also when a step fails.
# Extra arguments go to go test, for example -run TestPerDeviceOrder.
set -euo pipefail
cd "$(dirname "$0")/.."

broker_script=scripts/testbroker/kafka.sh

# Bash skips the EXIT trap when SIGINT (Ctrl-C) ends it, so these traps turn
# the signals into an exit, which runs the EXIT trap that stops the broker.
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${WRPKAFKA_BROKERS:-}" ]; then
	"$broker_script" start
	trap '"$broker_script" stop' EXIT
	WRPKAFKA_BROKERS=$("$broker_script" bootstrap)
	export WRPKAFKA_BROKERS
fi

echo "== integration suite against $WRPKAFKA_BROKERS"
go test -race -count=1 -tags integration ./integration/ "$@"

echo "== bench against $WRPKAFKA_BROKERS"
go run ./bench -brokers "$WRPKAFKA_BROKERS" -n 20000 -devices 1000 -progress 0
