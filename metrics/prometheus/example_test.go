package prometheus_test

import (
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	wrpprom "github.com/xmidt-org/wrpkafka/metrics/prometheus"
	"github.com/xmidt-org/wrpkafka/publisher"
)

// Connect the metrics to a Dispatcher and serve them.
func ExampleNew() {
	reg := prometheus.NewRegistry()
	metrics, err := wrpprom.New(reg, wrpprom.WithNamespace("talaria"))
	if err != nil {
		log.Fatal(err)
	}

	cfg := publisher.Config{
		Brokers:  []string{"kafka-1:9092"},
		TopicMap: []publisher.TopicRoute{{Pattern: "*", Topic: "device-events"}},
	}
	d, err := publisher.New(append(metrics.Options(), publisher.WithConfig(cfg))...)
	if err != nil {
		log.Fatal(err)
	}
	if err := metrics.RegisterGauges(d); err != nil {
		log.Fatal(err)
	}

	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
