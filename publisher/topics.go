package publisher

import (
	"context"

	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/kafka"
)

// checkTopics describes every routed topic. Missing topics are logged, not an error, because the broker may create topics on first use;
// without that, messages routed to them fail with unknown_topic. Each
// topic's max.message.bytes becomes its record limit when it is below the
// producer's, so an oversized record fails at once with that limit named.
func (d *Dispatcher) checkTopics(ctx context.Context, client *kafka.Client) {
	d.describeTopics(ctx, client, d.Topics())
}

// describeTopics is checkTopics for the given topics.
func (d *Dispatcher) describeTopics(ctx context.Context, client *kafka.Client, topics []string) {
	infos, err := client.DescribeTopics(ctx, topics)
	if err != nil {
		// Keep the limits known so far rather than drop them.
		d.logger.Warn("could not check the routed topics", zap.Error(err))
	} else {
		client.SetTopicLimits(infos)
	}

	for _, info := range infos {
		if info.Err != nil {
			d.logger.Warn("routed topic is not available; messages routed to it will fail unless the broker creates it",
				zap.String("topic", info.Topic), zap.Error(info.Err))
		}
	}
}
