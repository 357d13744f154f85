package main

import (
	"bytes"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/xmidt-org/wrpkafka/internal/benchsetup"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// defaultConfig is the built-in configuration: the routing of a Talaria-like
// deployment, so the bench needs no file.
func defaultConfig() publisher.Config {
	return benchsetup.TalariaConfig()
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
