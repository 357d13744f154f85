package publisher_test

import (
	"fmt"
	"log"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// Read the kafka section of a service's configuration file. The other
// sections belong to other parts of the service and are ignored.
func ExampleParseYAMLSection() {
	file := []byte(`
server:
  address: ":6200"
kafka:
  brokers: [kafka-1:9092]
  linger: 5ms
  topicMap:
    - pattern: device-status
      topic: device-lifecycle
    - pattern: "*"
      topic: device-events
`)
	cfg, err := publisher.ParseYAMLSection(file, "kafka")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Brokers, cfg.Linger, len(cfg.TopicMap))

	// A misspelled key is an error with its line.
	_, err = publisher.ParseYAMLSection([]byte("kafka:\n  brokers: [kafka-1:9092]\n  lingr: 5ms\n"), "kafka")
	fmt.Println(err)

	// Output:
	// [kafka-1:9092] 5ms 2
	// wrpkafka: parsing the YAML configuration: yaml: unmarshal errors:
	//   line 3: field lingr not found in type publisher.Config
}
