package publisher

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/kafka"
)

// warnMissingTopics asks the cluster about every routed topic and logs the
// ones it does not know. Missing topics are not an error at Start, because
// the broker may create topics on first use; without that, messages routed
// to them fail with unknown_topic.
func (d *Dispatcher) warnMissingTopics(ctx context.Context, client *kafka.Client) {
	topics := d.Topics()

	req := kmsg.NewPtrMetadataRequest()
	// Only look: do not let the check itself create the topics.
	req.AllowAutoTopicCreation = false
	for _, name := range topics {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, t)
	}

	resp, err := req.RequestWith(ctx, client.Raw())
	if err != nil {
		d.logger.Warn("could not check that the routed topics exist", zap.Error(err))
		return
	}

	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			name := ""
			if t.Topic != nil {
				name = *t.Topic
			}
			d.logger.Warn("routed topic is not available; messages routed to it will fail unless the broker creates it",
				zap.String("topic", name), zap.Error(err))
		}
	}
}
