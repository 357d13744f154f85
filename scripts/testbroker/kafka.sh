#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker on 127.0.0.1 for the integration tests.
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
DEFAULT_START_TIMEOUT=60
# Kafka 4.4.0 with the small log cleaner buffer of write_broker_config uses about
# 40 MB of live heap after startup. With 300,000 records of 1 KiB produced and
# consumed, its committed heap stayed below 90 MB.
BROKER_HEAP_OPTS=${KAFKA_HEAP_OPTS:-"-Xms64m -Xmx256m"}
BROKER_PERFORMANCE_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:-"-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError"}
STOP_TIMEOUT=${KAFKA_STOP_TIMEOUT:-20}
WORK_DIR_PREFIX=wrpkafka-broker.

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
  create-topic NAME PARTITIONS  Create a topic with replication factor 1.
  list-topics                   Print the names of all topics.
  help                          Print this text.

Environment:
  KAFKA_VERSION         Kafka version to fetch and run. Default: $DEFAULT_KAFKA_VERSION.
  KAFKA_HEAP_OPTS       Heap options of the broker JVM. Default: -Xms64m -Xmx256m.
  KAFKA_JVM_PERFORMANCE_OPTS
                        GC and JIT options of the broker JVM. Default: -XX:+UseG1GC
                        -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError.
  KAFKA_START_TIMEOUT   Default of start --timeout, in seconds.
  KAFKA_STOP_TIMEOUT    Seconds that stop waits after SIGTERM before SIGKILL.
  JAVA_HOME             Java 17 or newer. Default: java on PATH.

CI example, from the repository root:
  scripts/testbroker/$SCRIPT_NAME start && trap 'scripts/testbroker/$SCRIPT_NAME stop' EXIT
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
  STATE_PID='' STATE_WORK_DIR='' STATE_BOOTSTRAP='' STATE_VERSION=''
  [[ -f $STATE_FILE ]] || return 1

  local key value
  while IFS='=' read -r key value; do
    case $key in
      pid) STATE_PID=$value ;;
      work_dir) STATE_WORK_DIR=$value ;;
      bootstrap) STATE_BOOTSTRAP=$value ;;
      version) STATE_VERSION=$value ;;
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

# Deletes a broker directory, but only one that this script created.
remove_work_dir() {
  local work_dir=$1
  if [[ -n $work_dir && -d $work_dir && $(basename -- "$work_dir") == "$WORK_DIR_PREFIX"* ]]; then
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

write_broker_config() {
  local work_dir=$1 port=$2 controller_port=$3

  cat >"$work_dir/server.properties" <<EOF
process.roles=broker,controller
node.id=$NODE_ID
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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

  cat >"$work_dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = BrokerLog
appender.file.fileName = $work_dir/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = BrokerLog
EOF

  cat >"$work_dir/tools-log4j2.properties" <<EOF
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
  cat >"$work_dir/admin-client.properties" <<EOF
request.timeout.ms=5000
default.api.timeout.ms=10000
socket.connection.setup.timeout.ms=2000
socket.connection.setup.timeout.max.ms=2000
EOF
}

format_storage() {
  local work_dir=$1 cluster_id
  cluster_id=$(random_cluster_id)
  if ! run_kafka_tool "$work_dir/tools-log4j2.properties" kafka.tools.StorageTool format \
    --config "$work_dir/server.properties" \
    --cluster-id "$cluster_id" \
    --standalone >"$work_dir/format.log" 2>&1; then
    cat -- "$work_dir/format.log" >&2
    remove_work_dir "$work_dir"
    die "formatting KRaft storage with cluster id $cluster_id failed (see the output above); check the server.properties that write_broker_config writes in $SCRIPT_DIR/$SCRIPT_NAME"
  fi
}

# Succeeds when the broker responds to an ApiVersions request and lists itself in
# the cluster metadata. A broker appears there only after the controller has
# unfenced it, so topics can be created as soon as this succeeds.
broker_serves_requests() {
  local work_dir=$1 bootstrap=$2 output
  output=$(run_kafka_tool "$work_dir/tools-log4j2.properties" \
    org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$bootstrap" \
    --command-config "$work_dir/admin-client.properties" 2>/dev/null) || return 1
  [[ $output == *"(id: $NODE_ID "* ]]
}

# Prints the end of the broker log and of the JVM's own output, and keeps a copy
# of both in FAILED_START_LOG, because stop_broker deletes the broker directory.
report_failed_start() {
  local work_dir=$1 file name printed=false
  : >"$FAILED_START_LOG"
  for file in "$work_dir/broker.log" "$work_dir/stdout.log"; do
    [[ -s $file ]] || continue
    name=$(basename -- "$file")
    printf '\n--- last 40 lines of %s ---\n' "$name" >&2
    tail -n 40 -- "$file" >&2
    {
      printf -- '--- %s ---\n' "$name"
      cat -- "$file"
      printf '\n'
    } >>"$FAILED_START_LOG"
    printed=true
  done
  if $printed; then
    printf '\nThe full logs are in %s.\n' "$FAILED_START_LOG" >&2
  else
    printf 'The broker wrote no log output before it was stopped.\n' >&2
  fi
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
  local port=$DEFAULT_PORT controller_port='' parent_dir=${TMPDIR:-/tmp}
  local timeout=${KAFKA_START_TIMEOUT:-$DEFAULT_START_TIMEOUT}

  while (($# > 0)); do
    case $1 in
      --port | --controller-port | --dir | --timeout)
        (($# >= 2)) || die "option $1 needs a value; run '$SCRIPT_NAME help' for usage"
        case $1 in
          --port) port=$2 ;;
          --controller-port) controller_port=$2 ;;
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
  for checked_port in "$port" "$controller_port"; do
    if port_open "$checked_port"; then
      die "port $checked_port on 127.0.0.1 is already in use; stop the process that listens there or choose other ports with --port and --controller-port"
    fi
  done

  require_java
  libs_present || cmd_fetch
  rm -f -- "$FAILED_START_LOG"

  local started_us work_dir bootstrap=127.0.0.1:$port
  started_us=$(now_us)
  work_dir=$(mktemp -d "$parent_dir/${WORK_DIR_PREFIX}XXXXXX")
  work_dir=$(cd -- "$work_dir" && pwd)
  write_broker_config "$work_dir" "$port" "$controller_port"
  format_storage "$work_dir"

  local -a jvm_opts
  read -r -a jvm_opts <<<"$BROKER_HEAP_OPTS $BROKER_PERFORMANCE_OPTS"
  # The JVM gets its own files for stdout and stderr, so a caller that captures
  # this script's output with $(...) does not wait for the broker to exit.
  "$(java_bin)" "${jvm_opts[@]}" \
    -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$work_dir/log4j2.properties" \
    -cp "$LIBS_DIR/*" kafka.Kafka "$work_dir/server.properties" \
    >"$work_dir/stdout.log" 2>&1 </dev/null &
  local pid=$!

  mkdir -p -- "$RUN_DIR"
  echo "$pid" >"$PID_FILE"
  printf 'pid=%s\nwork_dir=%s\nbootstrap=%s\nversion=%s\n' \
    "$pid" "$work_dir" "$bootstrap" "$KAFKA_VERSION" >"$STATE_FILE"

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
    if port_open "$port" && broker_serves_requests "$work_dir" "$bootstrap"; then
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
    fetch | stop | status | bootstrap | list-topics)
      require_no_arguments "$command" "$@"
      "cmd_${command//-/_}"
      ;;
    help | -h | --help) print_usage ;;
    *) die "unknown command '$command'; run '$SCRIPT_NAME help' for the list of commands" ;;
  esac
}

main "$@"
