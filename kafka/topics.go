package kafka

import (
	"context"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicInfo is the cluster's description of one topic.
type TopicInfo struct {
	Topic string
	// Err is the broker's error for the topic, such as
	// UNKNOWN_TOPIC_OR_PARTITION, or nil.
	Err error
	// MaxMessageBytes is the topic's max.message.bytes, or 0 when the
	// broker did not report it.
	MaxMessageBytes int
}

// DescribeTopics requests whether the topics exist and their
// max.message.bytes. It never creates a topic.
func (c *Client) DescribeTopics(ctx context.Context, topics []string) ([]TopicInfo, error) {
	meta := kmsg.NewPtrMetadataRequest()
	meta.AllowAutoTopicCreation = false
	for _, name := range topics {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(name)
		meta.Topics = append(meta.Topics, t)
	}
	metaResp, err := meta.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("requesting topic metadata: %w", err)
	}

	infos := make([]TopicInfo, 0, len(topics))
	index := map[string]int{}
	for _, t := range metaResp.Topics {
		if t.Topic == nil {
			continue
		}
		index[*t.Topic] = len(infos)
		infos = append(infos, TopicInfo{Topic: *t.Topic, Err: kerr.ErrorForCode(t.ErrorCode)})
	}

	configs := kmsg.NewPtrDescribeConfigsRequest()
	for _, info := range infos {
		if info.Err != nil {
			continue
		}
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = info.Topic
		r.ConfigNames = []string{"max.message.bytes"}
		configs.Resources = append(configs.Resources, r)
	}
	if len(configs.Resources) == 0 {
		return infos, nil
	}
	configsResp, err := configs.RequestWith(ctx, c.cl)
	if err != nil {
		return infos, fmt.Errorf("requesting topic configs: %w", err)
	}
	for _, r := range configsResp.Resources {
		i, ok := index[r.ResourceName]
		if !ok || kerr.ErrorForCode(r.ErrorCode) != nil {
			continue
		}
		for _, cfg := range r.Configs {
			if cfg.Name == "max.message.bytes" && cfg.Value != nil {
				infos[i].MaxMessageBytes, _ = strconv.Atoi(*cfg.Value)
			}
		}
	}
	return infos, nil
}

// SetTopicLimits makes RecordLimit and franz-go's batch limit honor each
// topic's max.message.bytes where it is below the producer's own limit. Call
// it before producing: franz-go reads a partition's limit once, the first
// time it produces to it.
func (c *Client) SetTopicLimits(infos []TopicInfo) {
	limits := map[string]int{}
	for _, info := range infos {
		if info.MaxMessageBytes >= minMaxMessageBytes && info.MaxMessageBytes < c.recordLimit {
			limits[info.Topic] = info.MaxMessageBytes
		}
	}
	c.topicLimits.Store(&limits)
}
