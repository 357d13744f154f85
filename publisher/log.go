package publisher

import (
	"go.uber.org/zap"

	"github.com/xmidt-org/wrpkafka/metrics"
)

// logFailure logs a failed outcome through the rate-limited logger, with the
// ids an operator needs to find the message.
func (d *Dispatcher) logFailure(o *metrics.Outcome) {
	if ce := d.failureLogger.Check(zap.WarnLevel, "message failed"); ce != nil {
		ce.Write(
			zap.String("errorType", o.ErrorType),
			zap.Error(o.Err),
			zap.String("eventType", o.EventType),
			zap.String("topic", o.Topic),
			zap.String("key", o.Key),
			zap.String("transactionUUID", o.Message.TransactionUUID),
			zap.Stringer("mode", o.Mode),
		)
	}
}
