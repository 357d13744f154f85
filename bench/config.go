package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// defaultConfig is the built-in configuration: the routing of a Talaria-like
// deployment, so the bench needs no file.
func defaultConfig() publisher.Config {
	return publisher.Config{
		Workers:         8,
		QueueSize:       4096,
		ShutdownTimeout: 30 * time.Second,
		TopicMap: []publisher.TopicRoute{
			{Pattern: "device-status", Topic: "device-lifecycle"},
			{Pattern: "qos-*", Topics: []string{"qos-shard-0", "qos-shard-1", "qos-shard-2"}, ShardBy: "deviceid"},
			{
				Pattern:  "iot-*",
				Topics:   []string{"iot-east", "iot-west", "iot-central"},
				ShardBy:  "metadata:region",
				ShardMap: map[string]string{"east": "iot-east", "west": "iot-west", "central": "iot-central"},
			},
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
		CompressionCodec:   publisher.CompressionSnappy,
		Acks:               publisher.AcksAll,
	}
}

// loadConfig reads a YAML file holding either a publisher configuration or
// a document whose kafka key holds one, as a Talaria configuration does.
// Unknown keys are errors, so a misspelled key does not go unnoticed.
func loadConfig(path string) (publisher.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return publisher.Config{}, err
	}

	var probe map[string]any
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return publisher.Config{}, fmt.Errorf("%s: %w", path, err)
	}

	var cfg publisher.Config
	if _, wrapped := probe["kafka"]; wrapped {
		var doc struct {
			Kafka publisher.Config `yaml:"kafka"`
		}
		err = decodeStrict(data, &doc)
		cfg = doc.Kafka
	} else {
		err = decodeStrict(data, &cfg)
	}
	if err != nil {
		return publisher.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func decodeStrict(data []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(out)
}
