package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The README's main command must keep working: a small run in every mode
// accounts for every message and keeps per-device order.
func TestRunSmall(t *testing.T) {
	for _, mode := range []string{"produce", "tryproduce", "sync"} {
		t.Run(mode, func(t *testing.T) {
			o, err := parseFlags([]string{"-n", "3000", "-devices", "200", "-mode", mode, "-progress", "0", "-partitions", "4"})
			if err != nil {
				t.Fatal(err)
			}
			if err := run(o); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRunWithConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "talaria.yaml")
	yaml := `
kafka:
  workers: 3
  queueSize: 64
  shutdownTimeout: 5s
  linger: 2ms
  topicMap:
    - pattern: device-status
      topic: lifecycle
    - pattern: "*"
      topics: [a, b]
      shardBy: deviceid
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workers != 3 || cfg.ShutdownTimeout != 5*time.Second || cfg.Linger != 2*time.Millisecond || len(cfg.TopicMap) != 2 {
		t.Fatalf("loaded %+v", cfg)
	}

	o, err := parseFlags([]string{"-config", path, "-n", "500", "-devices", "50", "-progress", "0", "-raw=false"})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigRejectsUnknownKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("kafka:\n  queue_size: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path); err == nil {
		t.Error("a misspelled key was accepted")
	}
}

// Both phases write to one cluster when it is given with -brokers, so the
// verification must skip the raw phase's records.
func TestRunSharedBrokers(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()

	brokers := strings.Join(cluster.ListenAddrs(), ",")
	o, err := parseFlags([]string{"-brokers", brokers, "-n", "2000", "-devices", "100", "-progress", "0", "-partitions", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
}

func TestSoakWithStall(t *testing.T) {
	o, err := parseFlags([]string{"-duration", "3s", "-stall", "1s", "-stall-after", "1s", "-progress", "500ms", "-n", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.discard || o.verify || o.raw {
		t.Errorf("soak options %+v: want discard on, verify and raw off", o)
	}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
}

func TestParseFlagsRejects(t *testing.T) {
	for _, args := range [][]string{
		{"-mode", "fast"},
		{"-n", "0"},
		{"-discard", "-brokers", "127.0.0.1:9092"},
		{"-stall", "5s"},
		{"-stall", "5s", "-duration", "10s", "-brokers", "127.0.0.1:9092"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}
