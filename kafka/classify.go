package kafka

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/xmidt-org/wrpkafka/metrics"
)

// Classify returns the metrics error-type label for an error that franz-go
// passed to a produce promise, or "" for nil.
func Classify(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, kgo.ErrMaxBuffered):
		return metrics.ErrorTypeBufferFull
	case errors.Is(err, kgo.ErrClientClosed):
		return metrics.ErrorTypeStopped
	case errors.Is(err, kerr.MessageTooLarge),
		errors.Is(err, kerr.RecordListTooLarge):
		return metrics.ErrorTypeMessageTooLarge
	case errors.Is(err, kerr.UnknownTopicOrPartition),
		errors.Is(err, kerr.UnknownTopicID):
		return metrics.ErrorTypeUnknownTopic
	case errors.Is(err, kgo.ErrRecordTimeout),
		errors.Is(err, kerr.RequestTimedOut),
		errors.Is(err, context.DeadlineExceeded):
		return metrics.ErrorTypeTimeout
	case errors.Is(err, kerr.TopicAuthorizationFailed),
		errors.Is(err, kerr.ClusterAuthorizationFailed),
		errors.Is(err, kerr.TransactionalIDAuthorizationFailed),
		errors.Is(err, kerr.SaslAuthenticationFailed):
		return metrics.ErrorTypeAuthorization
	default:
		return metrics.ErrorTypeBroker
	}
}
