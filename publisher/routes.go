package publisher

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/router"
	"github.com/xmidt-org/wrpkafka/workers"
)

// UpdateRoutes validates a new topic map and header set and swaps them in
// atomically, while publishing goes on. Messages a worker has already
// routed keep their topic; each message uses the routes that were current
// when its worker took it. An invalid update returns the error and changes
// nothing.
//
// When the Dispatcher runs, UpdateRoutes also describes the routed topics
// within ctx, as Start does: missing topics are logged, and each topic's
// max.message.bytes becomes its record limit. If that request fails, the
// routes are still swapped and the failure is logged.
//
// Only topicMap and headers can change at runtime. Every other setting,
// from brokers and security to partitionKey, workers and queueSize, needs a
// new Dispatcher.
func (d *Dispatcher) UpdateRoutes(ctx context.Context, topicMap []TopicRoute, headers map[string]string) error {
	if d.resolved == nil {
		return errNotCreated
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if len(topicMap) == 0 {
		return fmt.Errorf("wrpkafka: UpdateRoutes: topicMap is empty: add at least one route")
	}
	table, err := router.Compile(topicMap)
	if err != nil {
		return fmt.Errorf("wrpkafka: UpdateRoutes: %w", err)
	}
	compiled, warnings, err := router.CompileHeaders(headers)
	if err != nil {
		return fmt.Errorf("wrpkafka: UpdateRoutes: %w", err)
	}
	for _, warning := range warnings {
		d.logger.Warn("header omitted", zap.String("reason", warning))
	}

	// One update at a time, so the limits described match the routes
	// stored last. Describe the topics before the swap, so no record
	// reaches a new topic before its limit is known.
	d.routesUpdate.Lock()
	defer d.routesUpdate.Unlock()
	if run := d.run.Load(); run != nil {
		d.describeTopics(ctx, run.client, table.Topics())
	}
	d.routing.Store(&workers.Routing{Table: table, Headers: compiled})

	d.logger.Info("routes updated", zap.Int("routes", len(topicMap)), zap.Strings("topics", table.Topics()))
	return nil
}
