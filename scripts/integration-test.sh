#!/usr/bin/env bash
# Runs the real-Kafka integration suite with one command.
#
# With WRPKAFKA_BROKERS set, the suite runs against those bootstrap servers.
# Without it, this script starts a local Apache Kafka broker from Maven
# Central jars (scripts/testbroker/kafka.sh), runs the suite and a short
# bench against it, and stops the broker on exit, also when a step fails.
# The local broker also opens a SASL_SSL listener with SCRAM-SHA-512 on port
# 9094, and the script exports its address, user, password and CA file in
# the WRPKAFKA_SASL_* and WRPKAFKA_TLS_CA_FILE variables that the SASL_SSL
# tests read. With WRPKAFKA_BROKERS set, set those variables to run them.
# Extra arguments go to go test, for example -run TestPerDeviceOrder.
set -euo pipefail
cd "$(dirname "$0")/.."

broker_script=scripts/testbroker/kafka.sh

# Bash skips the EXIT trap when SIGINT (Ctrl-C) ends it, so these traps turn
# the signals into an exit, which runs the EXIT trap that stops the broker.
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${WRPKAFKA_BROKERS:-}" ]; then
	"$broker_script" start --sasl-ssl-port 9094
	trap '"$broker_script" stop' EXIT
	WRPKAFKA_BROKERS=$("$broker_script" bootstrap)
	export WRPKAFKA_BROKERS
	# sasl-info prints NAME=VALUE lines. It runs in a command substitution,
	# not a process substitution, so that set -e stops the script when it
	# fails.
	sasl_info=$("$broker_script" sasl-info)
	while IFS='=' read -r name value; do
		export "$name=$value"
	done <<<"$sasl_info"
fi

echo "== integration suite against $WRPKAFKA_BROKERS"
go test -race -count=1 -tags integration ./integration/ "$@"

echo "== bench against $WRPKAFKA_BROKERS"
go run ./bench -brokers "$WRPKAFKA_BROKERS" -n 20000 -devices 1000 -progress 0
