#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker on 127.0.0.1 for the integration tests,
# or a cluster of several nodes for the broker-loss test.
# The jars come from Maven Central through Maven (see pom.xml beside this script),
# so neither Docker nor a Kafka release tarball is needed. Run with --help for usage.
set -euo pipefail

SCRIPT_NAME=$(basename -- "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd)
POM_FILE=$SCRIPT_DIR/pom.xml

# pom.xml is the single place that names the default Kafka version.
DEFAULT_KAFKA_VERSION=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM_FILE")
KAFKA_VERSION=${KAFKA_VERSION:-$DEFAULT_KAFKA_VERSION}

CACHE_DIR=$REPO_ROOT/.cache/kafka
LIBS_DIR=$CACHE_DIR/$KAFKA_VERSION/libs
RUN_DIR=$CACHE_DIR/run
PID_FILE=$RUN_DIR/broker.pid
STATE_FILE=$RUN_DIR/broker.state
FAILED_START_LOG=$RUN_DIR/failed-start.log

NODE_ID=1
DEFAULT_PORT=9092
# The optional SASL_SSL listener of start --sasl-ssl-port: one SCRAM user,
# created at format time, and a certificate for 127.0.0.1 and localhost from a
# CA generated for each start. SASL_SSL_ENV_FILE in the broker directory
# contains the client settings, and sasl-info prints it.
SASL_SSL_MECHANISM=SCRAM-SHA-512
SASL_SSL_USER=wrpkafka
SASL_SSL_ENV_FILE=sasl-ssl.env
# Days the generated certificates are valid. A test broker runs for minutes.
SASL_SSL_CERT_DAYS=7
DEFAULT_START_TIMEOUT=60
# Kafka 4.4.0 with the small log cleaner buffer of write_broker_config uses about
# 40 MB of live heap after startup. With 300,000 records of 1 KiB produced and
# consumed, its committed heap stayed below 90 MB.
BROKER_HEAP_OPTS=${KAFKA_HEAP_OPTS:-"-Xms64m -Xmx256m"}
BROKER_PERFORMANCE_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:-"-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError"}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-20}
WORK_DIR_PREFIX=wrpkafka-broker.

# Cluster mode: cluster-start and the node-* commands. Its state file, ports and
# directory are separate from the single broker's, so both can run at once.
CLUSTER_STATE_FILE=$RUN_DIR/cluster.state
FAILED_CLUSTER_START_LOG=$RUN_DIR/failed-cluster-start.log
CLUSTER_WORK_DIR_PREFIX=wrpkafka-cluster.
# default.replication.factor is 3 in a cluster, so it needs 3 nodes.
MIN_CLUSTER_NODES=3
DEFAULT_CLUSTER_NODES=3
DEFAULT_CLUSTER_BASE_PORT=19092
# Cluster nodes compile with C1 only (-XX:TieredStopAtLevel=1), because 3 JVMs
# compiling with C2 leave a 2-core machine little CPU for the test itself.
# Runs of scripts/broker-loss-test.sh on 2 cores, while other processes used
# one core or more, measured the effect. C1 cut the start of 3 nodes from
# 30-41 s to 14-34 s, and the restart of a killed node under test load from
# 39-46 s to 11-28 s. C1 code is slower, which matters to the throughput bench
# on the single broker but not to failover tests.
CLUSTER_PERFORMANCE_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:-"$BROKER_PERFORMANCE_OPTS -XX:TieredStopAtLevel=1"}
# About 3 times the slowest cluster start and node restart seen in those runs.
DEFAULT_CLUSTER_START_TIMEOUT=120
# Seconds that node-kill waits for a JVM to exit after SIGKILL.
KILL_WAIT_TIMEOUT=10

# Admin tools are short-lived JVMs. C1-only compilation and the serial collector
# cut their CPU time by about a third (1.5 s instead of 2.2 s for one
# BrokerApiVersionsCommand run on 2 cores), which leaves more for the broker.
TOOL_JAVA_OPTS=(-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1)

print_usage() {
  cat <<EOF
Usage: $SCRIPT_NAME COMMAND [OPTIONS]

Runs one Apache Kafka $KAFKA_VERSION node (broker and KRaft controller combined)
on 127.0.0.1 for integration tests. Jars come from Maven Central through Maven
and are cached in $CACHE_DIR/<version>/libs.

Commands:
  fetch                         Download the Kafka jars unless they are cached.
  start [OPTIONS]               Format fresh storage in a new temporary directory,
                                start the broker in the background and wait until
                                it serves requests. Runs fetch first if needed.
                                Fails if a broker started by this script runs.
      --port N                  Client (PLAINTEXT) port. Default: $DEFAULT_PORT.
      --controller-port N       KRaft controller port. Default: client port + 1.
      --sasl-ssl-port N         Also open a SASL_SSL listener on this port, with
                                $SASL_SSL_MECHANISM user '$SASL_SSL_USER' and a random password,
                                and a certificate from a CA that openssl generates
                                into the broker directory. Default: no such listener.
      --dir DIR                 Parent directory of the temporary broker directory.
                                Default: \${TMPDIR:-/tmp}.
      --timeout SECONDS         Maximum time for formatting and startup until the
                                broker serves requests. A readiness probe that runs
                                at the deadline can add up to about 6 s.
                                Default: \$KAFKA_START_TIMEOUT or $DEFAULT_START_TIMEOUT.
  stop                          Stop the broker (SIGTERM, then SIGKILL after
                                \$KAFKA_STOP_TIMEOUT seconds, default 20) and delete its
                                temporary directory. Succeeds when nothing runs.
  status                        Print whether the broker runs, its address, pid and
                                directory. Exit status: 0 running, 1 not running.
  bootstrap                     Print only the bootstrap address, for example
                                KAFKA_BOOTSTRAP=\$($SCRIPT_NAME bootstrap).
  sasl-info                     Print, as NAME=VALUE lines, what a client of the
                                SASL_SSL listener needs: WRPKAFKA_SASL_SSL_BROKERS,
                                WRPKAFKA_SASL_MECHANISM, WRPKAFKA_SASL_USERNAME,
                                WRPKAFKA_SASL_PASSWORD and WRPKAFKA_TLS_CA_FILE (the CA
                                certificate, PEM). Fails unless the broker was started
                                with --sasl-ssl-port.
  create-topic NAME PARTITIONS  Create a topic with replication factor 1.
  list-topics                   Print the names of all topics.
  help                          Print this text.

Cluster commands, for failover tests. Every node is a combined broker and
controller, and the nodes form the KRaft controller quorum. Node N (1, 2, ...)
serves clients on base port + 2(N-1) and the quorum on the port after it, so
the default cluster uses ports 19092 to 19097. A cluster can run beside the
single broker above.
  cluster-start [OPTIONS]       Format fresh storage for every node in a new
                                temporary directory, start all nodes and wait
                                until each is an unfenced broker. Fails if a
                                cluster started by this script runs.
      --nodes N                 Number of nodes, at least $MIN_CLUSTER_NODES. Default: $DEFAULT_CLUSTER_NODES.
      --base-port N             Client port of node 1. Default: $DEFAULT_CLUSTER_BASE_PORT.
      --dir DIR                 Parent directory of the temporary cluster
                                directory. Default: \${TMPDIR:-/tmp}.
      --timeout SECONDS         As for start. Default: \$KAFKA_START_TIMEOUT or
                                $DEFAULT_CLUSTER_START_TIMEOUT.
  cluster-stop                  Stop every node (SIGTERM to all at once, then
                                SIGKILL after \$KAFKA_STOP_TIMEOUT seconds) and
                                delete the cluster directory. Succeeds when
                                nothing runs.
  cluster-status                Print each node's state, ports, pid and resident
                                memory (RSS). Exit status: 0 when every node
                                runs, 1 otherwise.
  cluster-bootstrap             Print the client addresses of all nodes,
                                comma-separated.
  node-kill N                   Kill node N with SIGKILL, as a crash would, and
                                wait until its JVM has exited. Its data stays.
  node-start N [--timeout S]    Start node N again on its existing data and wait
                                until it is an unfenced broker. S defaults to
                                \$KAFKA_START_TIMEOUT or $DEFAULT_CLUSTER_START_TIMEOUT.

Environment:
  KAFKA_VERSION         Kafka version to fetch and run. Default: $DEFAULT_KAFKA_VERSION.
  KAFKA_HEAP_OPTS       Heap options of each broker JVM. Default: -Xms64m -Xmx256m.
  KAFKA_JVM_PERFORMANCE_OPTS
                        GC and JIT options of each broker JVM. Default: -XX:+UseG1GC
                        -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError, and
                        for cluster nodes also -XX:TieredStopAtLevel=1 (C1 only),
                        which starts them faster on few cores.
  KAFKA_START_TIMEOUT   Default of --timeout of start, cluster-start and node-start,
                        in seconds.
  KAFKA_STOP_TIMEOUT    Seconds that stop and cluster-stop wait after SIGTERM before
                        SIGKILL.
  JAVA_HOME             Java 17 or newer. Default: java on PATH.
  openssl               OpenSSL 1.1.1 or newer on PATH, for --sasl-ssl-port only.

CI example, from the repository root:
  scripts/testbroker/$SCRIPT_NAME start && trap 'scripts/testbroker/$SCRIPT_NAME stop' EXIT
  scripts/testbroker/$SCRIPT_NAME cluster-start && trap 'scripts/testbroker/$SCRIPT_NAME cluster-stop' EXIT
EOF
}

info() {
  printf '%s\n' "$*"
}

die() {
  printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
  exit 1
}

# Prints the current time in microseconds since the Unix epoch.
now_us() {
  local now=$EPOCHREALTIME
  echo "${now/[.,]/}"
}

# Prints the seconds elapsed since $1, a now_us value, for example "12.3 s".
format_elapsed() {
  local elapsed_us=$(($(now_us) - $1))
  printf '%d.%d s' $((elapsed_us / 1000000)) $((elapsed_us / 100000 % 10))
}

is_positive_integer() {
  [[ $1 =~ ^[1-9][0-9]*$ ]]
}

validate_port() {
  local option=$1 value=$2
  if ! is_positive_integer "$value" || ((value > 65535)); then
    die "invalid $option '$value': expected a port number from 1 to 65535"
  fi
}

java_bin() {
  if [[ -n ${JAVA_HOME:-} ]]; then
    echo "$JAVA_HOME/bin/java"
  else
    echo java
  fi
}

require_java() {
  local java version_line major
  java=$(java_bin)
  command -v "$java" >/dev/null ||
    die "java not found (looked for '$java'); install Java 17 or newer, or set JAVA_HOME"

  version_line=$("$java" -version 2>&1 | head -n 1)
  major=$(sed -n 's/.*version "\([0-9]*\).*/\1/p' <<<"$version_line")
  if [[ -z $major ]] || ((major < 17)); then
    die "Kafka $KAFKA_VERSION needs Java 17 or newer, but '$java -version' reports: $version_line; set JAVA_HOME to a newer JDK"
  fi
}

# Runs a Kafka command-line class from the cached jars, with log output at WARN
# on stderr.
run_kafka_tool() {
  local log_config=$1
  shift
  "$(java_bin)" "${TOOL_JAVA_OPTS[@]}" \
    -Dlog4j2.configurationFile="$log_config" \
    -cp "$LIBS_DIR/*" "$@"
}

# The marker file contains the checksum of pom.xml, so that a changed dependency
# list is fetched again even for the same Kafka version.
pom_checksum() {
  cksum <"$POM_FILE"
}

libs_present() {
  [[ -f $LIBS_DIR/.complete && $(<"$LIBS_DIR/.complete") == "$(pom_checksum)" ]]
}

# Deletes a failed download and the version folder if nothing else is in it.
discard_download() {
  rm -rf -- "$1"
  rmdir -- "$(dirname -- "$LIBS_DIR")" 2>/dev/null || true
}

cmd_fetch() {
  if libs_present; then
    info "Kafka $KAFKA_VERSION jars are already in $LIBS_DIR."
    return 0
  fi

  command -v mvn >/dev/null || die "mvn not found on PATH; install Maven 3.8 or newer to fetch Kafka $KAFKA_VERSION"

  # Maven copies into a staging folder first, so an interrupted download never
  # looks like a complete cache.
  local staging=$LIBS_DIR.partial started_us
  rm -rf -- "$staging"
  mkdir -p -- "$(dirname -- "$LIBS_DIR")"
  started_us=$(now_us)
  info "Fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies from Maven Central..."
  # Maven 3.8 prints ANSI reset codes even in batch mode, and sed strips them
  # from CI logs. pipefail keeps the exit status of mvn.
  if ! mvn --batch-mode --no-transfer-progress --quiet \
    --file "$POM_FILE" \
    -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies \
    -DincludeScope=runtime \
    -DoutputDirectory="$staging" 2>&1 | sed $'s/\e\\[[0-9;]*m//g' >&2; then
    discard_download "$staging"
    die "mvn could not resolve Kafka $KAFKA_VERSION (see its output above); check that the version exists on Maven Central and that Maven can reach it, then run '$SCRIPT_NAME fetch' again"
  fi

  if [[ ! -f $staging/kafka_2.13-$KAFKA_VERSION.jar ]]; then
    discard_download "$staging"
    die "mvn finished, but kafka_2.13-$KAFKA_VERSION.jar is missing from its output; check the dependencies in $POM_FILE"
  fi

  rm -rf -- "$LIBS_DIR"
  mv -- "$staging" "$LIBS_DIR"
  pom_checksum >"$LIBS_DIR/.complete"

  local jar_count size
  jar_count=$(find "$LIBS_DIR" -name '*.jar' | wc -l)
  size=$(du -sh -- "$LIBS_DIR" | cut -f1)
  info "Fetched $((jar_count)) jars ($size) into $LIBS_DIR in $(format_elapsed "$started_us")."
}

# Reads the state file of the last start into STATE_* variables.
# Returns 1 when there is no state file.
load_state() {
  STATE_PID='' STATE_WORK_DIR='' STATE_BOOTSTRAP='' STATE_VERSION='' STATE_SASL_SSL=''
  [[ -f $STATE_FILE ]] || return 1

  local key value
  while IFS='=' read -r key value; do
    case $key in
      pid) STATE_PID=$value ;;
      work_dir) STATE_WORK_DIR=$value ;;
      bootstrap) STATE_BOOTSTRAP=$value ;;
      version) STATE_VERSION=$value ;;
      sasl_ssl) STATE_SASL_SSL=$value ;;
    esac
  done <"$STATE_FILE"
}

# Succeeds when PID is alive and still the broker started from WORK_DIR. The
# command line check keeps a recycled pid from being signalled.
broker_alive() {
  local pid=$1 work_dir=$2 command_line
  [[ -n $pid ]] || return 1
  command_line=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  [[ $command_line == *kafka.Kafka* && $command_line == *"$work_dir/server.properties"* ]]
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Deletes a broker or cluster directory, but only one that this script created,
# whose name starts with the second argument (default WORK_DIR_PREFIX).
remove_work_dir() {
  local work_dir=$1 prefix=${2:-$WORK_DIR_PREFIX}
  if [[ -n $work_dir && -d $work_dir && $(basename -- "$work_dir") == "$prefix"* ]]; then
    rm -rf -- "$work_dir"
  fi
}

# Prints a random KRaft cluster id: 16 random bytes in unpadded base64url, the
# form that kafka-storage random-uuid prints. The argument parser of
# kafka-storage format reads an id that starts with '-' as an option, so such
# ids are drawn again.
random_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    if [[ $id != -* ]]; then
      echo "$id"
      return
    fi
  done
}

# Writes the broker's server.properties into WORK_DIR. With a fourth argument,
# the broker also listens for SASL_SSL clients on that port, with the keystore
# of generate_sasl_ssl_material.
write_broker_config() {
  local work_dir=$1 port=$2 controller_port=$3 sasl_ssl_port=${4:-}
  local listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
  local advertised=PLAINTEXT://127.0.0.1:$port
  local protocols=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
  if [[ -n $sasl_ssl_port ]]; then
    listeners+=,SASL_SSL://127.0.0.1:$sasl_ssl_port
    advertised+=,SASL_SSL://127.0.0.1:$sasl_ssl_port
    protocols+=,SASL_SSL:SASL_SSL
  fi

  cat >"$work_dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$NODE_ID
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
log.dirs=$work_dir/data

auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

# The defaults (50 partitions each) make the first consumer group or
# transaction wait for 50 partitions to be created on one node.
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1

# Small thread pools because the broker shares 2 cores with the Go tests.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2

# The default 128 MiB dedupe buffer of the log cleaner is allocated on the heap
# at startup and would take half of the default 256 MB heap. The compacted internal topics
# of a test run need far less.
log.cleaner.dedupe.buffer.size=8388608
EOF

  if [[ -n $sasl_ssl_port ]]; then
    # Brokers talk to each other and to the controller over PLAINTEXT, so
    # only clients of this listener use SASL and TLS. The JAAS entry takes
    # no credentials because the broker only checks SCRAM logins, against
    # the credentials that format_storage adds to the metadata log.
    cat >>"$work_dir/server.properties" <<EOF

sasl.enabled.mechanisms=$SASL_SSL_MECHANISM
listener.name.sasl_ssl.${SASL_SSL_MECHANISM,,}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$work_dir/tls/broker.p12
ssl.keystore.password=$SASL_SSL_STORE_PASSWORD
ssl.key.password=$SASL_SSL_STORE_PASSWORD
ssl.client.auth=none
EOF
  fi

  write_broker_log_config "$work_dir"
  write_tool_configs "$work_dir"
}

# Prints N random bytes as hexadecimal, which needs no quoting in properties,
# in kafka-storage's --add-scram syntax or in NAME=VALUE lines.
random_hex() {
  openssl rand -hex "$1"
}

# Creates WORK_DIR/tls with a CA certificate (ca.pem), a broker certificate
# for 127.0.0.1 and localhost that the CA signed, and a PKCS12 keystore with
# the broker's key and certificate chain (broker.p12). Sets
# SASL_SSL_STORE_PASSWORD to the keystore's random password and
# SASL_SSL_PASSWORD to a random password for the SCRAM user. The keys are
# ECDSA P-256, which takes milliseconds to generate.
generate_sasl_ssl_material() {
  local work_dir=$1 dir=$1/tls
  command -v openssl >/dev/null ||
    die "openssl not found on PATH; --sasl-ssl-port needs OpenSSL 1.1.1 or newer to generate the listener's certificates"

  mkdir -m 700 -- "$dir"
  SASL_SSL_STORE_PASSWORD=$(random_hex 16)
  SASL_SSL_PASSWORD=$(random_hex 16)

  if ! {
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -days "$SASL_SSL_CERT_DAYS" \
      -subj "/CN=wrpkafka test broker CA" \
      -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign &&
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/broker-key.pem" -out "$dir/broker.csr" \
        -subj "/CN=127.0.0.1" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
        >"$dir/broker.ext" &&
      openssl x509 -req -in "$dir/broker.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
        -set_serial "0x$(random_hex 8)" -days "$SASL_SSL_CERT_DAYS" -extfile "$dir/broker.ext" \
        -out "$dir/broker.pem" &&
      openssl pkcs12 -export -name broker \
        -inkey "$dir/broker-key.pem" -in "$dir/broker.pem" -certfile "$dir/ca.pem" \
        -passout "pass:$SASL_SSL_STORE_PASSWORD" -out "$dir/broker.p12"
  } >"$dir/openssl.log" 2>&1; then
    cat -- "$dir/openssl.log" >&2
    remove_work_dir "$work_dir"
    die "generating the SASL_SSL listener's certificates with openssl failed (see the output above); check that 'openssl version' reports 1.1.1 or newer"
  fi
}

# Writes the client settings of the SASL_SSL listener on port $2 into
# WORK_DIR/SASL_SSL_ENV_FILE, readable only by this user.
write_sasl_ssl_env() {
  local work_dir=$1 sasl_ssl_port=$2
  (
    umask 077
    cat >"$work_dir/$SASL_SSL_ENV_FILE" <<EOF
WRPKAFKA_SASL_SSL_BROKERS=127.0.0.1:$sasl_ssl_port
WRPKAFKA_SASL_MECHANISM=$SASL_SSL_MECHANISM
WRPKAFKA_SASL_USERNAME=$SASL_SSL_USER
WRPKAFKA_SASL_PASSWORD=$SASL_SSL_PASSWORD
WRPKAFKA_TLS_CA_FILE=$work_dir/tls/ca.pem
EOF
  )
}

# Writes the Log4j configuration that sends the broker log of DIR to
# DIR/broker.log.
write_broker_log_config() {
  local dir=$1
  cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = BrokerLog
appender.file.fileName = $dir/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = BrokerLog
EOF
}

# Writes the Log4j and client configurations of the admin tools into DIR.
write_tool_configs() {
  local dir=$1
  cat >"$dir/tools-log4j2.properties" <<EOF
status = warn
appender.stderr.type = Console
appender.stderr.name = Stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = Stderr
EOF

  # Short client timeouts, so that a readiness probe against a broker that is
  # still starting fails within seconds instead of retrying for a minute.
  cat >"$dir/admin-client.properties" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
socket.connection.setup.timeout.ms=2000
socket.connection.setup.timeout.max.ms=2000
EOF
}

# Formats the KRaft storage of WORK_DIR. Further arguments go to
# kafka-storage format, such as --add-scram.
format_storage() {
  local work_dir=$1 cluster_id
  shift
  cluster_id=$(random_cluster_id)
  if ! run_kafka_tool "$work_dir/tools-log4j2.properties" kafka.tools.StorageTool format \
    --config "$work_dir/server.properties" \
    --cluster-id "$cluster_id" \
    --standalone "$@" >"$work_dir/format.log" 2>&1; then
    cat -- "$work_dir/format.log" >&2
    remove_work_dir "$work_dir"
    die "formatting KRaft storage with cluster id $cluster_id failed (see the output above); check the server.properties that write_broker_config writes in $SCRIPT_DIR/$SCRIPT_NAME"
  fi
}

# Succeeds when the broker responds to an ApiVersions request and lists itself in
# the cluster metadata. A broker appears there only after the controller has
# unfenced it, so topics can be created as soon as this succeeds.
broker_serves_requests() {
  brokers_serve_requests "$1" "$2" "$NODE_ID"
}

# Succeeds when a broker of BOOTSTRAP responds to an ApiVersions request and the
# cluster metadata it returns lists every node id after the second argument as
# an unfenced broker. TOOLS_DIR contains the files of write_tool_configs.
brokers_serve_requests() {
  local tools_dir=$1 bootstrap=$2 output id
  shift 2
  output=$(run_kafka_tool "$tools_dir/tools-log4j2.properties" \
    org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$bootstrap" \
    --command-config "$tools_dir/admin-client.properties" 2>/dev/null) || return 1
  for id in "$@"; do
    [[ $output == *"(id: $id "* ]] || return 1
  done
}

# Prints the end of the broker log and of the JVM's own output, and keeps a copy
# of both in FAILED_START_LOG, because stop_broker deletes the broker directory.
report_failed_start() {
  report_broker_logs "$FAILED_START_LOG" "$1"
}

# Prints the last 40 lines of broker.log and stdout.log of each broker
# directory after the first argument, and copies the whole files into
# SAVED_LOG. With more than one directory, each file is named with its
# directory, for example node-2/broker.log.
report_broker_logs() {
  local saved_log=$1 dir file name printed=false
  shift
  : >"$saved_log"
  for dir in "$@"; do
    for file in "$dir/broker.log" "$dir/stdout.log"; do
      [[ -s $file ]] || continue
      name=$(basename -- "$file")
      if (($# > 1)); then
        name=$(basename -- "$dir")/$name
      fi
      printf '\n--- last 40 lines of %s ---\n' "$name" >&2
      tail -n 40 -- "$file" >&2
      {
        printf -- '--- %s ---\n' "$name"
        cat -- "$file"
        printf '\n'
      } >>"$saved_log"
      printed=true
    done
  done
  if $printed; then
    printf '\nThe full logs are in %s.\n' "$saved_log" >&2
  elif (($# > 1)); then
    printf 'No node wrote log output before it was stopped.\n' >&2
  else
    printf 'The broker wrote no log output before it was stopped.\n' >&2
  fi
}

# Starts the broker JVM of DIR (server.properties, log4j2.properties) in the
# background and sets LAUNCHED_PID. The second argument replaces the GC and JIT
# options of BROKER_PERFORMANCE_OPTS. The JVM gets its own file for stdout and
# stderr, so a caller that captures this script's output with $(...) does not
# wait for the broker to exit. The file is appended to, so a node restarted by
# node-start keeps the output of its earlier runs.
launch_broker() {
  local dir=$1 performance_opts=${2:-$BROKER_PERFORMANCE_OPTS}
  local -a jvm_opts
  read -r -a jvm_opts <<<"$BROKER_HEAP_OPTS $performance_opts"
  "$(java_bin)" "${jvm_opts[@]}" \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$dir/server.properties" \
    >>"$dir/stdout.log" 2>&1 </dev/null &
  LAUNCHED_PID=$!
}

# Stops the broker recorded in the state file and deletes its directory and the
# state. Does nothing when no state exists.
stop_broker() {
  load_state || return 0

  is_positive_integer "$STOP_TIMEOUT" ||
    die "invalid KAFKA_STOP_TIMEOUT '$STOP_TIMEOUT': expected a whole number of seconds greater than 0"

  local pid=$STATE_PID work_dir=$STATE_WORK_DIR
  if broker_alive "$pid" "$work_dir"; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline_us=$(($(now_us) + STOP_TIMEOUT * 1000000))
    while broker_alive "$pid" "$work_dir" && (($(now_us) < deadline_us)); do
      sleep 0.2
    done
    if broker_alive "$pid" "$work_dir"; then
      info "Broker (pid $pid) still runs $STOP_TIMEOUT s after SIGTERM; sending SIGKILL."
      kill -KILL "$pid" 2>/dev/null || true
      while broker_alive "$pid" "$work_dir"; do
        sleep 0.1
      done
    fi
  fi

  remove_work_dir "$work_dir"
  rm -f -- "$PID_FILE" "$STATE_FILE"
}

cmd_start() {
  local port=$DEFAULT_PORT controller_port='' sasl_ssl_port='' parent_dir=${TMPDIR:-/tmp}
  local timeout=${KAFKA_START_TIMEOUT:-$DEFAULT_START_TIMEOUT}

  while (($# > 0)); do
    case $1 in
      --port | --controller-port | --sasl-ssl-port | --dir | --timeout)
        (($# >= 2)) || die "option $1 needs a value; run '$SCRIPT_NAME help' for usage"
        case $1 in
          --port) port=$2 ;;
          --controller-port) controller_port=$2 ;;
          --sasl-ssl-port) sasl_ssl_port=$2 ;;
          --dir) parent_dir=$2 ;;
          --timeout) timeout=$2 ;;
        esac
        shift 2
        ;;
      *) die "unknown start option '$1'; run '$SCRIPT_NAME help' for usage" ;;
    esac
  done

  validate_port --port "$port"
  controller_port=${controller_port:-$((port + 1))}
  validate_port --controller-port "$controller_port"
  ((port != controller_port)) || die "--port and --controller-port are both $port; pass two different ports"
  if [[ -n $sasl_ssl_port ]]; then
    validate_port --sasl-ssl-port "$sasl_ssl_port"
    if ((sasl_ssl_port == port || sasl_ssl_port == controller_port)); then
      die "--sasl-ssl-port $sasl_ssl_port is also the client or controller port; pass a port other than $port and $controller_port"
    fi
  fi
  is_positive_integer "$timeout" || die "invalid start timeout '$timeout': expected a whole number of seconds greater than 0"
  [[ -d $parent_dir ]] || die "directory '$parent_dir' given by --dir (or TMPDIR) does not exist; create it or pass another --dir"

  if load_state; then
    if broker_alive "$STATE_PID" "$STATE_WORK_DIR"; then
      die "a test broker already runs (pid $STATE_PID, bootstrap $STATE_BOOTSTRAP); run '$SCRIPT_NAME stop' first"
    fi
    info "Removing the state of a broker that is no longer running (pid $STATE_PID)."
    stop_broker
  fi

  local checked_port
  local -a ports=("$port" "$controller_port")
  if [[ -n $sasl_ssl_port ]]; then
    ports+=("$sasl_ssl_port")
  fi
  for checked_port in "${ports[@]}"; do
    if port_open "$checked_port"; then
      die "port $checked_port on 127.0.0.1 is already in use; stop the process that listens there or choose other ports with --port, --controller-port and --sasl-ssl-port"
    fi
  done

  require_java
  libs_present || cmd_fetch
  rm -f -- "$FAILED_START_LOG"

  local started_us work_dir bootstrap=127.0.0.1:$port sasl_ssl_address=''
  local -a format_options=()
  started_us=$(now_us)
  work_dir=$(mktemp -d "$parent_dir/${WORK_DIR_PREFIX}XXXXXX")
  work_dir=$(cd -- "$work_dir" && pwd)
  if [[ -n $sasl_ssl_port ]]; then
    sasl_ssl_address=127.0.0.1:$sasl_ssl_port
    generate_sasl_ssl_material "$work_dir"
    # NOTE: the password is on the command line of kafka-storage, visible
    # to other local users for the second that it runs. It is random and
    # valid only for this test broker.
    format_options=(--add-scram "$SASL_SSL_MECHANISM=[name=$SASL_SSL_USER,password=$SASL_SSL_PASSWORD]")
  fi
  write_broker_config "$work_dir" "$port" "$controller_port" "$sasl_ssl_port"
  format_storage "$work_dir" "${format_options[@]}"
  if [[ -n $sasl_ssl_port ]]; then
    write_sasl_ssl_env "$work_dir" "$sasl_ssl_port"
  fi

  launch_broker "$work_dir"
  local pid=$LAUNCHED_PID

  mkdir -p -- "$RUN_DIR"
  echo "$pid" >"$PID_FILE"
  printf 'pid=%s\nwork_dir=%s\nbootstrap=%s\nversion=%s\nsasl_ssl=%s\n' \
    "$pid" "$work_dir" "$bootstrap" "$KAFKA_VERSION" "$sasl_ssl_address" >"$STATE_FILE"

  # A caller installs its "stop" trap only after start succeeds, so an
  # interrupted start stops the broker itself.
  trap 'stop_broker; exit 130' INT
  trap 'stop_broker; exit 143' TERM

  local deadline_us=$((started_us + timeout * 1000000)) failure=''
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      local exit_status=0
      wait "$pid" || exit_status=$?
      failure="the broker JVM (pid $pid) exited with status $exit_status during startup"
      break
    fi
    if port_open "$port" && { [[ -z $sasl_ssl_port ]] || port_open "$sasl_ssl_port"; } &&
      broker_serves_requests "$work_dir" "$bootstrap"; then
      break
    fi
    if (($(now_us) >= deadline_us)); then
      failure="the broker did not serve requests on $bootstrap within $timeout s; raise --timeout if the machine is slow"
      break
    fi
    sleep 0.5
  done

  if [[ -n $failure ]]; then
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$failure" >&2
    report_failed_start "$work_dir"
    stop_broker
    exit 1
  fi

  trap - INT TERM
  info "Kafka $KAFKA_VERSION broker started in $(format_elapsed "$started_us") (pid $pid, directory $work_dir)."
  info "Bootstrap servers: $bootstrap"
  if [[ -n $sasl_ssl_address ]]; then
    info "SASL_SSL listener: $sasl_ssl_address ($SASL_SSL_MECHANISM, user $SASL_SSL_USER); '$SCRIPT_NAME sasl-info' prints the password and the CA file."
  fi
}

cmd_stop() {
  if ! load_state; then
    info "No test broker is running."
    return 0
  fi
  local pid=$STATE_PID started_us
  started_us=$(now_us)
  stop_broker
  info "Stopped the test broker (pid $pid) in $(format_elapsed "$started_us")."
}

cmd_status() {
  if load_state && broker_alive "$STATE_PID" "$STATE_WORK_DIR"; then
    info "Kafka $STATE_VERSION test broker is running: bootstrap $STATE_BOOTSTRAP, pid $STATE_PID, directory $STATE_WORK_DIR, log $STATE_WORK_DIR/broker.log."
    if [[ -n $STATE_SASL_SSL ]]; then
      info "SASL_SSL listener: $STATE_SASL_SSL ($SASL_SSL_MECHANISM, user $SASL_SSL_USER); '$SCRIPT_NAME sasl-info' prints the password and the CA file."
    fi
    return 0
  fi
  if [[ -f $STATE_FILE ]]; then
    info "No test broker is running. The broker recorded in $STATE_FILE (pid $STATE_PID) has exited; its log is $STATE_WORK_DIR/broker.log."
  else
    info "No test broker is running."
  fi
  return 1
}

# Loads the state of a running broker or exits with an error. Admin tools then
# run from the jars of the broker's version, which can differ from KAFKA_VERSION.
require_running_broker() {
  if ! load_state || ! broker_alive "$STATE_PID" "$STATE_WORK_DIR"; then
    die "no test broker is running; run '$SCRIPT_NAME start' first"
  fi
  LIBS_DIR=$CACHE_DIR/$STATE_VERSION/libs
}

require_no_arguments() {
  local command=$1
  shift
  (($# == 0)) || die "$command takes no arguments, got '$*'; run '$SCRIPT_NAME help' for usage"
}

cmd_bootstrap() {
  require_running_broker
  echo "$STATE_BOOTSTRAP"
}

cmd_sasl_info() {
  require_running_broker
  [[ -n $STATE_SASL_SSL ]] ||
    die "the test broker has no SASL_SSL listener; stop it and start it again with --sasl-ssl-port, for example '$SCRIPT_NAME start --sasl-ssl-port 9094'"
  local env_file=$STATE_WORK_DIR/$SASL_SSL_ENV_FILE
  [[ -f $env_file ]] || die "$env_file is missing; stop the broker and start it again with --sasl-ssl-port"
  cat -- "$env_file"
}

cmd_create_topic() {
  (($# == 2)) || die "create-topic expects NAME and PARTITIONS, got $# argument(s); run '$SCRIPT_NAME help' for usage"
  local name=$1 partitions=$2
  [[ -n $name ]] || die "invalid topic name '': the name must not be empty"
  is_positive_integer "$partitions" || die "invalid partition count '$partitions' for topic '$name': expected a whole number greater than 0"
  require_running_broker
  run_kafka_tool "$STATE_WORK_DIR/tools-log4j2.properties" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$STATE_BOOTSTRAP" \
    --command-config "$STATE_WORK_DIR/admin-client.properties" \
    --create --topic "$name" --partitions "$partitions" --replication-factor 1 ||
    die "creating topic '$name' with $partitions partition(s) on $STATE_BOOTSTRAP failed (see the output above)"
}

cmd_list_topics() {
  require_running_broker
  run_kafka_tool "$STATE_WORK_DIR/tools-log4j2.properties" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$STATE_BOOTSTRAP" \
    --command-config "$STATE_WORK_DIR/admin-client.properties" \
    --list ||
    die "listing topics on $STATE_BOOTSTRAP failed (see the output above)"
}

# Cluster mode. CLUSTER_* variables describe the cluster of the state file;
# load_cluster_state or cmd_cluster_start sets them.

# Reads the cluster state file into CLUSTER_* variables. Returns 1 when there
# is no state file.
load_cluster_state() {
  CLUSTER_WORK_DIR='' CLUSTER_NODES='' CLUSTER_BASE_PORT='' CLUSTER_BOOTSTRAP='' CLUSTER_VERSION=''
  [[ -f $CLUSTER_STATE_FILE ]] || return 1

  local key value
  while IFS='=' read -r key value; do
    case $key in
      work_dir) CLUSTER_WORK_DIR=$value ;;
      nodes) CLUSTER_NODES=$value ;;
      base_port) CLUSTER_BASE_PORT=$value ;;
      bootstrap) CLUSTER_BOOTSTRAP=$value ;;
      version) CLUSTER_VERSION=$value ;;
    esac
  done <"$CLUSTER_STATE_FILE"
}

node_dir() {
  echo "$CLUSTER_WORK_DIR/node-$1"
}

node_client_port() {
  echo $((CLUSTER_BASE_PORT + 2 * ($1 - 1)))
}

node_controller_port() {
  echo $((CLUSTER_BASE_PORT + 2 * ($1 - 1) + 1))
}

# Prints the pid of the last JVM started for node $1, or nothing.
node_pid() {
  local pid_file
  pid_file=$(node_dir "$1")/kafka.pid
  if [[ -f $pid_file ]]; then
    cat -- "$pid_file"
  fi
}

node_alive() {
  broker_alive "$(node_pid "$1")" "$(node_dir "$1")"
}

# Succeeds when at least one node of the cluster runs.
any_node_alive() {
  local node
  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    if node_alive "$node"; then
      return 0
    fi
  done
  return 1
}

all_client_ports_open() {
  local node
  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    port_open "$(node_client_port "$node")" || return 1
  done
}

# Writes the configuration of node $1 into its directory.
write_cluster_node_config() {
  local node=$1 dir quorum='' other
  dir=$(node_dir "$node")
  for ((other = 1; other <= CLUSTER_NODES; other++)); do
    quorum+="${quorum:+,}127.0.0.1:$(node_controller_port "$other")"
  done

  mkdir -p -- "$dir"
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$node
listeners=PLAINTEXT://127.0.0.1:$(node_client_port "$node"),CONTROLLER://127.0.0.1:$(node_controller_port "$node")
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_client_port "$node")
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=$quorum
log.dirs=$dir/data

# Every partition survives the loss of one node without losing an
# acknowledged record. acks=all waits for every in-sync replica, and a write
# fails while fewer than 2 replicas are in sync (min.insync.replicas). Unclean
# leader election is off, so a new leader has every acknowledged record.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1

# Failover timing. A killed broker keeps leading its partitions until the
# active controller fences it, broker.session.timeout.ms after its last
# heartbeat (default 9 s). Then the controller elects new leaders and removes
# the broker from every ISR. A heartbeat every 500 ms (default 2 s) and a 4 s
# session leave room for 7 late heartbeats, for example while 3 JVMs and the
# Go tests share 2 cores.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=4000
# When the active controller is killed, the other controllers start an
# election once controller.quorum.fetch.timeout.ms passes without a response
# from it. A candidate waits for votes for a random 1 to 2 times
# controller.quorum.election.timeout.ms before it tries again. Both values are
# Kafka's defaults, written out because the failover time depends on them.
controller.quorum.fetch.timeout.ms=2000
controller.quorum.election.timeout.ms=1000
# A follower that has not caught up for this long leaves the ISR (default
# 30 s), so acks=all requests stop waiting for a follower that stalls without
# being fenced. A live follower fetches at least every 500 ms
# (replica.fetch.wait.max.ms), so 5 s removes only one that is stuck.
replica.lag.time.max.ms=5000
# The controller moves leadership back to a restarted node (preferred leader
# election) at this interval instead of every 300 s, so a test that still
# publishes goes through that second leadership change too.
leader.imbalance.check.interval.seconds=5

# Small thread pools because 3 nodes share 2 cores with the Go tests.
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
num.recovery.threads.per.data.dir=1
background.threads=2

# See write_broker_config.
log.cleaner.dedupe.buffer.size=8388608
EOF

  write_broker_log_config "$dir"
}

# Formats the storage of every node with one cluster id and the same initial
# voter set of all nodes (a dynamic KRaft quorum, kraft.version 1). The
# formats run in parallel to save a JVM start per node.
format_cluster_storage() {
  local cluster_id node voters='' failed=''
  local -a pids=()
  cluster_id=$(random_cluster_id)
  # Each voter is id@host:port:directory-id. A directory id has the same
  # random Kafka Uuid form as a cluster id.
  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    voters+="${voters:+,}$node@127.0.0.1:$(node_controller_port "$node"):$(random_cluster_id)"
  done

  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    run_kafka_tool "$CLUSTER_WORK_DIR/tools-log4j2.properties" kafka.tools.StorageTool format \
      --config "$(node_dir "$node")/server.properties" \
      --cluster-id "$cluster_id" \
      --initial-controllers "$voters" >"$(node_dir "$node")/format.log" 2>&1 &
    pids+=($!)
  done
  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    if ! wait "${pids[node - 1]}"; then
      printf '\n--- output of formatting node %d ---\n' "$node" >&2
      cat -- "$(node_dir "$node")/format.log" >&2
      failed+="${failed:+, }$node"
    fi
  done

  if [[ -n $failed ]]; then
    stop_cluster
    die "formatting KRaft storage of node(s) $failed with cluster id $cluster_id failed (see the output above); check write_cluster_node_config in $SCRIPT_DIR/$SCRIPT_NAME"
  fi
}

# Stops every node of the cluster state and deletes the cluster directory and
# the state. Does nothing when no state exists. All nodes get SIGTERM at once,
# and a node that still runs KAFKA_STOP_TIMEOUT seconds later gets SIGKILL,
# which loses nothing because its directory is deleted anyway.
stop_cluster() {
  load_cluster_state || return 0

  is_positive_integer "$STOP_TIMEOUT" ||
    die "invalid KAFKA_STOP_TIMEOUT '$STOP_TIMEOUT': expected a whole number of seconds greater than 0"

  local node
  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    if node_alive "$node"; then
      kill -TERM "$(node_pid "$node")" 2>/dev/null || true
    fi
  done

  local deadline_us=$(($(now_us) + STOP_TIMEOUT * 1000000))
  while any_node_alive && (($(now_us) < deadline_us)); do
    sleep 0.2
  done

  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    if node_alive "$node"; then
      info "Node $node (pid $(node_pid "$node")) still runs $STOP_TIMEOUT s after SIGTERM; sending SIGKILL."
      kill -KILL "$(node_pid "$node")" 2>/dev/null || true
    fi
  done
  while any_node_alive; do
    sleep 0.1
  done

  remove_work_dir "$CLUSTER_WORK_DIR" "$CLUSTER_WORK_DIR_PREFIX"
  rm -f -- "$CLUSTER_STATE_FILE"
}

# Stops node $1 with SIGKILL after a failed or interrupted node-start. Its data
# stays for another node-start, as after node-kill.
kill_node() {
  local node=$1
  if node_alive "$node"; then
    kill -KILL "$(node_pid "$node")" 2>/dev/null || true
    while node_alive "$node"; do
      sleep 0.1
    done
  fi
}

cmd_cluster_start() {
  local nodes=$DEFAULT_CLUSTER_NODES base_port=$DEFAULT_CLUSTER_BASE_PORT parent_dir=${TMPDIR:-/tmp}
  local timeout=${KAFKA_START_TIMEOUT:-$DEFAULT_CLUSTER_START_TIMEOUT}

  while (($# > 0)); do
    case $1 in
      --nodes | --base-port | --dir | --timeout)
        (($# >= 2)) || die "option $1 needs a value; run '$SCRIPT_NAME help' for usage"
        case $1 in
          --nodes) nodes=$2 ;;
          --base-port) base_port=$2 ;;
          --dir) parent_dir=$2 ;;
          --timeout) timeout=$2 ;;
        esac
        shift 2
        ;;
      *) die "unknown cluster-start option '$1'; run '$SCRIPT_NAME help' for usage" ;;
    esac
  done

  if ! is_positive_integer "$nodes" || ((nodes < MIN_CLUSTER_NODES)); then
    die "invalid --nodes '$nodes': expected a whole number of at least $MIN_CLUSTER_NODES, because topics are created with replication factor 3"
  fi
  validate_port --base-port "$base_port"
  if ((base_port + 2 * nodes - 1 > 65535)); then
    die "invalid --base-port '$base_port': $nodes nodes need ports $base_port to $((base_port + 2 * nodes - 1)), past 65535; choose a lower --base-port"
  fi
  is_positive_integer "$timeout" || die "invalid start timeout '$timeout': expected a whole number of seconds greater than 0"
  [[ -d $parent_dir ]] || die "directory '$parent_dir' given by --dir (or TMPDIR) does not exist; create it or pass another --dir"

  if load_cluster_state; then
    if any_node_alive; then
      die "a test cluster already runs (bootstrap $CLUSTER_BOOTSTRAP); run '$SCRIPT_NAME cluster-stop' first"
    fi
    info "Removing the state of a cluster whose nodes are no longer running ($CLUSTER_WORK_DIR)."
    stop_cluster
  fi

  local checked_port
  for ((checked_port = base_port; checked_port < base_port + 2 * nodes; checked_port++)); do
    if port_open "$checked_port"; then
      die "port $checked_port on 127.0.0.1 is already in use; stop the process that listens there or choose another --base-port (the cluster uses ports $base_port to $((base_port + 2 * nodes - 1)))"
    fi
  done

  require_java
  libs_present || cmd_fetch
  rm -f -- "$FAILED_CLUSTER_START_LOG"

  local started_us work_dir node
  started_us=$(now_us)
  work_dir=$(mktemp -d "$parent_dir/${CLUSTER_WORK_DIR_PREFIX}XXXXXX")
  CLUSTER_WORK_DIR=$(cd -- "$work_dir" && pwd)
  CLUSTER_NODES=$nodes
  CLUSTER_BASE_PORT=$base_port
  CLUSTER_VERSION=$KAFKA_VERSION
  CLUSTER_BOOTSTRAP=''
  for ((node = 1; node <= nodes; node++)); do
    CLUSTER_BOOTSTRAP+="${CLUSTER_BOOTSTRAP:+,}127.0.0.1:$(node_client_port "$node")"
  done

  # The state is written before anything runs, so that stop_cluster cleans up
  # after a failure at any later step.
  mkdir -p -- "$RUN_DIR"
  printf 'work_dir=%s\nnodes=%s\nbase_port=%s\nbootstrap=%s\nversion=%s\n' \
    "$CLUSTER_WORK_DIR" "$nodes" "$base_port" "$CLUSTER_BOOTSTRAP" "$KAFKA_VERSION" >"$CLUSTER_STATE_FILE"
  # A caller installs its "cluster-stop" trap only after cluster-start
  # succeeds, so an interrupted start stops the cluster itself.
  trap 'stop_cluster; exit 130' INT
  trap 'stop_cluster; exit 143' TERM

  write_tool_configs "$CLUSTER_WORK_DIR"
  for ((node = 1; node <= nodes; node++)); do
    write_cluster_node_config "$node"
  done
  format_cluster_storage

  local -a pids=() node_dirs=() node_ids=()
  for ((node = 1; node <= nodes; node++)); do
    launch_broker "$(node_dir "$node")" "$CLUSTER_PERFORMANCE_OPTS"
    echo "$LAUNCHED_PID" >"$(node_dir "$node")/kafka.pid"
    pids+=("$LAUNCHED_PID")
    node_dirs+=("$(node_dir "$node")")
    node_ids+=("$node")
  done

  local deadline_us=$((started_us + timeout * 1000000)) failure='' exit_status
  while :; do
    for ((node = 1; node <= nodes; node++)); do
      if ! kill -0 "${pids[node - 1]}" 2>/dev/null; then
        exit_status=0
        wait "${pids[node - 1]}" || exit_status=$?
        failure="the JVM of node $node (pid ${pids[node - 1]}) exited with status $exit_status during startup"
        break 2
      fi
    done
    # Each probe is a JVM start that takes CPU from the nodes, so none runs
    # before every node listens for clients.
    if all_client_ports_open &&
      brokers_serve_requests "$CLUSTER_WORK_DIR" "$CLUSTER_BOOTSTRAP" "${node_ids[@]}"; then
      break
    fi
    if (($(now_us) >= deadline_us)); then
      failure="not every node of the cluster was an unfenced broker on $CLUSTER_BOOTSTRAP within $timeout s; raise --timeout if the machine is slow"
      break
    fi
    sleep 0.5
  done

  if [[ -n $failure ]]; then
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$failure" >&2
    report_broker_logs "$FAILED_CLUSTER_START_LOG" "${node_dirs[@]}"
    stop_cluster
    exit 1
  fi

  trap - INT TERM
  info "Kafka $KAFKA_VERSION cluster of $nodes nodes started in $(format_elapsed "$started_us") (pids ${pids[*]}, directory $CLUSTER_WORK_DIR)."
  info "Bootstrap servers: $CLUSTER_BOOTSTRAP"
}

cmd_cluster_stop() {
  if ! load_cluster_state; then
    info "No test cluster is running."
    return 0
  fi
  local started_us
  started_us=$(now_us)
  stop_cluster
  info "Stopped the test cluster in $(format_elapsed "$started_us")."
}

cmd_cluster_status() {
  if ! load_cluster_state; then
    info "No test cluster is running."
    return 1
  fi

  local node running=0 pid rss_kib
  info "Kafka $CLUSTER_VERSION test cluster of $CLUSTER_NODES nodes in $CLUSTER_WORK_DIR:"
  for ((node = 1; node <= CLUSTER_NODES; node++)); do
    pid=$(node_pid "$node")
    if node_alive "$node"; then
      rss_kib=$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ') || rss_kib=0
      info "  node $node: running, pid $pid, RSS $((${rss_kib:-0} / 1024)) MiB, client 127.0.0.1:$(node_client_port "$node"), controller 127.0.0.1:$(node_controller_port "$node"), log $(node_dir "$node")/broker.log"
      running=$((running + 1))
    else
      info "  node $node: not running (last pid ${pid:-none}), client 127.0.0.1:$(node_client_port "$node"), log $(node_dir "$node")/broker.log"
    fi
  done
  info "Bootstrap servers: $CLUSTER_BOOTSTRAP"
  ((running == CLUSTER_NODES))
}

# Loads the cluster state or exits with an error. Admin tools and restarted
# nodes then run from the jars of the cluster's version.
require_cluster() {
  if ! load_cluster_state || ! any_node_alive; then
    die "no test cluster is running; run '$SCRIPT_NAME cluster-start' first"
  fi
  LIBS_DIR=$CACHE_DIR/$CLUSTER_VERSION/libs
}

# Checks that $1 names a node of the loaded cluster.
validate_node() {
  local node=$1
  if ! is_positive_integer "$node" || ((node > CLUSTER_NODES)); then
    die "invalid node '$node': expected a node number from 1 to $CLUSTER_NODES"
  fi
}

cmd_cluster_bootstrap() {
  require_cluster
  echo "$CLUSTER_BOOTSTRAP"
}

cmd_node_kill() {
  (($# == 1)) || die "node-kill expects one node number, got $# argument(s); run '$SCRIPT_NAME help' for usage"
  local node=$1
  require_cluster
  validate_node "$node"
  node_alive "$node" || die "node $node is not running; start it with '$SCRIPT_NAME node-start $node'"

  local pid
  pid=$(node_pid "$node")
  kill -KILL "$pid"
  local deadline_us=$(($(now_us) + KILL_WAIT_TIMEOUT * 1000000))
  while node_alive "$node"; do
    (($(now_us) < deadline_us)) || die "node $node (pid $pid) still runs $KILL_WAIT_TIMEOUT s after SIGKILL"
    sleep 0.1
  done
  info "Killed node $node (pid $pid) with SIGKILL; its data stays in $(node_dir "$node")/data."
}

cmd_node_start() {
  (($# >= 1)) || die "node-start expects a node number; run '$SCRIPT_NAME help' for usage"
  local node=$1 timeout=${KAFKA_START_TIMEOUT:-$DEFAULT_CLUSTER_START_TIMEOUT}
  shift
  while (($# > 0)); do
    case $1 in
      --timeout)
        (($# >= 2)) || die "option $1 needs a value; run '$SCRIPT_NAME help' for usage"
        timeout=$2
        shift 2
        ;;
      *) die "unknown node-start option '$1'; run '$SCRIPT_NAME help' for usage" ;;
    esac
  done
  is_positive_integer "$timeout" || die "invalid start timeout '$timeout': expected a whole number of seconds greater than 0"

  # require_cluster fails when no node runs, because a node started alone has
  # no controller quorum (a majority of the voters) and never becomes ready.
  require_cluster
  validate_node "$node"
  if node_alive "$node"; then
    die "node $node already runs (pid $(node_pid "$node")); kill it with '$SCRIPT_NAME node-kill $node' first"
  fi
  local checked_port
  for checked_port in "$(node_client_port "$node")" "$(node_controller_port "$node")"; do
    if port_open "$checked_port"; then
      die "port $checked_port on 127.0.0.1, which node $node uses, is already in use; stop the process that listens there"
    fi
  done
  require_java

  local started_us dir client_address
  started_us=$(now_us)
  dir=$(node_dir "$node")
  client_address=127.0.0.1:$(node_client_port "$node")
  launch_broker "$dir" "$CLUSTER_PERFORMANCE_OPTS"
  local pid=$LAUNCHED_PID
  echo "$pid" >"$dir/kafka.pid"
  trap 'kill_node "$node"; exit 130' INT
  trap 'kill_node "$node"; exit 143' TERM

  local deadline_us=$((started_us + timeout * 1000000)) failure='' exit_status
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      exit_status=0
      wait "$pid" || exit_status=$?
      failure="the JVM of node $node (pid $pid) exited with status $exit_status during startup"
      break
    fi
    if port_open "$(node_client_port "$node")" &&
      brokers_serve_requests "$CLUSTER_WORK_DIR" "$client_address" "$node"; then
      break
    fi
    if (($(now_us) >= deadline_us)); then
      failure="node $node was not an unfenced broker on $client_address within $timeout s; raise --timeout if the machine is slow"
      break
    fi
    sleep 0.5
  done

  if [[ -n $failure ]]; then
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$failure" >&2
    report_broker_logs "$RUN_DIR/failed-node-$node-start.log" "$dir"
    kill_node "$node"
    exit 1
  fi

  trap - INT TERM
  info "Node $node started again in $(format_elapsed "$started_us") (pid $pid, client $client_address)."
}

main() {
  if (($# == 0)); then
    print_usage >&2
    exit 2
  fi

  local command=$1
  shift
  case $command in
    start) cmd_start "$@" ;;
    create-topic) cmd_create_topic "$@" ;;
    cluster-start) cmd_cluster_start "$@" ;;
    node-kill) cmd_node_kill "$@" ;;
    node-start) cmd_node_start "$@" ;;
    fetch | stop | status | bootstrap | sasl-info | list-topics | cluster-stop | cluster-status | cluster-bootstrap)
      require_no_arguments "$command" "$@"
      "cmd_${command//-/_}"
      ;;
    help | -h | --help) print_usage ;;
    *) die "unknown command '$command'; run '$SCRIPT_NAME help' for the list of commands" ;;
  esac
}

main "$@"
