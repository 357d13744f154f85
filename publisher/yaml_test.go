package publisher

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// examplePath is a Talaria-like configuration with every section, under a
// top-level kafka key.
const examplePath = "testdata/talaria-kafka.yaml"

// exampleConfig is what examplePath holds.
func exampleConfig() Config {
	return Config{
		Brokers:  []string{"127.0.0.1:9092"},
		ClientID: "talaria-1",
		SASL:     &SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "talaria", Password: "not-a-secret"},
		TLS: &TLSConfig{
			Enabled:    true,
			CAFile:     "testdata/tls/ca.pem",
			CertFile:   "testdata/tls/client.pem",
			KeyFile:    "testdata/tls/client-key.pem",
			ServerName: "kafka.example.com",
			MinVersion: "1.3",
		},
		Workers:         8,
		QueueSize:       4096,
		ShutdownTimeout: 10 * time.Second,
		TopicMap: []TopicRoute{
			{Pattern: "device-status", Topic: "device-lifecycle"},
			{Pattern: "qos-*", Topics: []string{"qos-shard-0", "qos-shard-1", "qos-shard-2"}, ShardBy: "deviceid"},
			{Pattern: "iot-*", Topics: []string{"iot-east", "iot-west", "iot-central"}, ShardBy: "metadata:region"},
			{Pattern: "telemetry*", IgnoreCase: true, Topics: []string{"telemetry-0", "telemetry-1"}, ShardBy: "roundrobin"},
			{Pattern: "*", Topic: "device-events"},
		},
		Headers: map[string]string{
			"src":               "wrp.Source",
			"dst":               "wrp.Destination",
			"X-Source-Instance": "talaria-1",
			"region":            "us-east-1",
		},
		MaxBufferedRecords: 10000,
		CompressionCodec:   CompressionSnappy,
		Linger:             5 * time.Millisecond,
		Acks:               AcksAll,
		MaxRetries:         0,
		RequestTimeout:     10 * time.Second,
	}
}

// checkConfig compares got with want part by part, so a failure names the
// part that differs. SASL is compared with its password, which its String
// method hides.
func checkConfig(t *testing.T, got, want Config) {
	t.Helper()

	if got.SASL == nil || want.SASL == nil {
		if got.SASL != want.SASL {
			t.Errorf("sasl = %v, want %v", got.SASL, want.SASL)
		}
	} else if *got.SASL != *want.SASL {
		t.Errorf("sasl = %v with password %q, want %v with password %q",
			got.SASL, got.SASL.Password, want.SASL, want.SASL.Password)
	}

	if !reflect.DeepEqual(got.TLS, want.TLS) {
		t.Errorf("tls = %+v, want %+v", got.TLS, want.TLS)
	}

	for i := range max(len(got.TopicMap), len(want.TopicMap)) {
		switch {
		case i >= len(got.TopicMap):
			t.Errorf("topicMap[%d] is missing, want %+v", i, want.TopicMap[i])
		case i >= len(want.TopicMap):
			t.Errorf("topicMap[%d] = %+v, want no such route", i, got.TopicMap[i])
		case !reflect.DeepEqual(got.TopicMap[i], want.TopicMap[i]):
			t.Errorf("topicMap[%d] = %+v, want %+v", i, got.TopicMap[i], want.TopicMap[i])
		}
	}

	got.SASL, got.TLS, got.TopicMap = nil, nil, nil
	want.SASL, want.TLS, want.TopicMap = nil, nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("other fields = %+v\nwant %+v", got, want)
	}
}

// readExample returns examplePath, with old replaced by replacement when old
// is not empty, and the 1-based line where the replacement starts.
func readExample(t *testing.T, old, replacement string) (data []byte, line int) {
	t.Helper()
	raw, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if old == "" {
		return raw, 0
	}

	at := strings.Index(text, old)
	if at < 0 {
		t.Fatalf("%s does not contain %q", examplePath, old)
	}
	line = strings.Count(text[:at], "\n") + 1
	return []byte(text[:at] + replacement + text[at+len(old):]), line
}

func TestParseYAMLSectionExample(t *testing.T) {
	data, _ := readExample(t, "", "")
	cfg, err := ParseYAMLSection(data, "kafka")
	if err != nil {
		t.Fatalf("ParseYAMLSection: %v", err)
	}
	checkConfig(t, cfg, exampleConfig())

	d, err := New(WithConfig(cfg))
	if err != nil {
		t.Fatalf("New rejected the parsed example: %v", err)
	}
	if got := len(d.Topics()); got != 10 {
		t.Errorf("the parsed example routes to %d topics, want 10: %v", got, d.Topics())
	}
}

func TestParseYAMLSectionIgnoresOtherSections(t *testing.T) {
	data := []byte(`
server:
  address: ":8080"
  anything: [goes, here]
kafka:
  brokers: [kafka-1:9092]
  topicMap:
    - pattern: "*"
      topic: device-events
log:
  level: info
`)
	cfg, err := ParseYAMLSection(data, "kafka")
	if err != nil {
		t.Fatalf("ParseYAMLSection: %v", err)
	}
	want := Config{
		Brokers:  []string{"kafka-1:9092"},
		TopicMap: []TopicRoute{{Pattern: "*", Topic: "device-events"}},
	}
	checkConfig(t, cfg, want)
}

func TestParseYAMLBareConfig(t *testing.T) {
	data := []byte(`brokers: [kafka-1:9092, kafka-2:9092]
topicMap:
  - pattern: "*"
    topic: device-events
linger: 250ms
deliveryTimeout: 1m30s
startTimeout: 5s
acks: leader
compressionCodec: zstd
maxRetries: -1
partitionKey: [source, metadata:/hw-deviceid]
`)
	cfg, err := ParseYAML(data)
	if err != nil {
		t.Fatalf("ParseYAML: %v", err)
	}
	want := Config{
		Brokers:          []string{"kafka-1:9092", "kafka-2:9092"},
		TopicMap:         []TopicRoute{{Pattern: "*", Topic: "device-events"}},
		Linger:           250 * time.Millisecond,
		DeliveryTimeout:  90 * time.Second,
		StartTimeout:     5 * time.Second,
		Acks:             AcksLeader,
		CompressionCodec: CompressionZstd,
		MaxRetries:       -1,
		PartitionKey:     []string{"source", "metadata:/hw-deviceid"},
	}
	checkConfig(t, cfg, want)

	if _, err := New(WithConfig(cfg)); err != nil {
		t.Errorf("New rejected the parsed configuration: %v", err)
	}
}

// misspelledKeys are edits of the example configuration that each turn one
// key, at one level of the document, into a key Config does not have.
var misspelledKeys = []struct {
	name        string
	old         string
	replacement string
	key         string
}{
	{"top level", "  queueSize: 4096", "  queueSzie: 4096", "queueSzie"},
	{"route", "      shardBy: deviceid", "      shardby: deviceid", "shardby"},
	{"tls", "    caFile:", "    cafile:", "cafile"},
	{"sasl", "    username: talaria", "    user: talaria", "user"},
}

func TestParseYAMLSectionUnknownKeys(t *testing.T) {
	for _, tc := range misspelledKeys {
		t.Run(tc.name, func(t *testing.T) {
			data, line := readExample(t, tc.old, tc.replacement)
			_, err := ParseYAMLSection(data, "kafka")
			if err == nil {
				t.Fatalf("ParseYAMLSection accepted the unknown key %s", tc.key)
			}
			if !strings.Contains(err.Error(), "field "+tc.key+" not found") {
				t.Errorf("error %q does not name the key %s", err, tc.key)
			}
			if want := fmt.Sprintf("line %d:", line); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not give %q", err, want)
			}
		})
	}
}

func TestParseYAMLUnknownKey(t *testing.T) {
	data := []byte("brokers: [kafka-1:9092]\ntopicMap:\n  - pattern: \"*\"\n    topic: t\ncompresionCodec: zstd\n")
	_, err := ParseYAML(data)
	if err == nil {
		t.Fatal("ParseYAML accepted the misspelled key compresionCodec")
	}
	if !strings.Contains(err.Error(), "line 5: field compresionCodec not found") {
		t.Errorf("error %q does not give the key and its line 5", err)
	}
}

func TestParseYAMLRejectsBadDocuments(t *testing.T) {
	cases := []struct {
		name    string
		data    string
		mention string
	}{
		{"empty", "", "the document is empty"},
		{"only comments", "# nothing here\n", "the document is empty"},
		{"second document", "brokers: [a:1]\n---\nbrokers: [b:2]\n", "line 2: a second YAML document"},
		{"wrong type", "brokers: [a:1]\nworkers: many\n", "line 2"},
		{"bad duration", "brokers: [a:1]\nlinger: soon\n", "line 2"},
		{"not a mapping", "- brokers\n", "line 1"},
		{"syntax error", "brokers: [a:1\n", "yaml:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseYAML([]byte(tc.data))
			if err == nil {
				t.Fatal("ParseYAML accepted the document")
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
		})
	}
}

func TestParseYAMLSectionMissing(t *testing.T) {
	data := []byte("kafak:\n  brokers: [a:1]\nserver: {}\n")
	_, err := ParseYAMLSection(data, "kafka")
	if err == nil {
		t.Fatal("ParseYAMLSection accepted a document without the section")
	}
	if !strings.Contains(err.Error(), `no "kafka" section`) {
		t.Errorf("error %q does not name the missing section", err)
	}
	if !strings.Contains(err.Error(), `["kafak" "server"]`) {
		t.Errorf("error %q does not list the top-level keys", err)
	}

	if _, err := ParseYAMLSection([]byte("kafka:\n"), "kafka"); err == nil {
		t.Error("ParseYAMLSection accepted an empty section")
	}
}

func TestParseYAMLSectionInvalidKey(t *testing.T) {
	for _, key := range []string{"", "-", "kafka,inline"} {
		_, err := ParseYAMLSection([]byte("kafka: {}\n"), key)
		if err == nil {
			t.Errorf("ParseYAMLSection accepted the section key %q", key)
		}
	}
}

func TestParseYAMLSectionUnusualKey(t *testing.T) {
	data := []byte("\"wrp \\\"kafka\\\" publisher\":\n  brokers: [a:1]\n")
	cfg, err := ParseYAMLSection(data, `wrp "kafka" publisher`)
	if err != nil {
		t.Fatalf("ParseYAMLSection: %v", err)
	}
	if !reflect.DeepEqual(cfg.Brokers, []string{"a:1"}) {
		t.Errorf("brokers = %q, want [a:1]", cfg.Brokers)
	}
}
