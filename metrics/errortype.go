package metrics

// StrategyMetadata is the shard-strategy label of metadata:<field> routes.
const StrategyMetadata = "metadata"

// Error-type labels carried by Outcome.ErrorType and passed to the
// messageErrored callback. They are stable strings meant for metric labels.
const (
	// ErrorTypeInvalidDestination: the Destination is not an event locator
	// (event:<type>[/...]), so the message has no event type to route by.
	ErrorTypeInvalidDestination = "invalid_destination"

	// ErrorTypeNoTopicMatch: no route pattern matched the event type.
	ErrorTypeNoTopicMatch = "no_topic_match"

	// ErrorTypeEncoding: the message could not be encoded as msgpack.
	ErrorTypeEncoding = "encoding_error"

	// ErrorTypeMessageTooLarge: the encoded record is larger than the
	// producer's maxMessageBytes, or the broker rejected it as too large.
	ErrorTypeMessageTooLarge = "message_too_large"

	// ErrorTypeBufferFull: franz-go's buffer was full when a TryProduce
	// message reached it.
	ErrorTypeBufferFull = "buffer_full"

	// ErrorTypeUnknownTopic: the broker does not know the topic, and it was
	// not created automatically.
	ErrorTypeUnknownTopic = "unknown_topic"

	// ErrorTypeTimeout: the record was not acknowledged within the delivery
	// timeout, or the broker reported a request timeout after retries ran
	// out.
	ErrorTypeTimeout = "timeout"

	// ErrorTypeAuthorization: the broker rejected the client's credentials
	// or its permission to write the topic.
	ErrorTypeAuthorization = "authorization_failed"

	// ErrorTypeBroker: any other error the broker or franz-go reported.
	ErrorTypeBroker = "broker_error"

	// ErrorTypeStopped: the publisher stopped before the record was
	// acknowledged, so franz-go failed it when the client closed.
	ErrorTypeStopped = "stopped"

	// ErrorTypeInternal: the worker panicked while handling the message.
	// The panic is recovered and logged with its stack.
	ErrorTypeInternal = "internal_error"

	// ErrorTypeMissingMetadataField is informational: a metadata-sharded
	// route found its field missing or empty and fell back to round-robin.
	// The message still gets its own success or error outcome.
	ErrorTypeMissingMetadataField = "missing_metadata_field"

	// ErrorTypeQueueFull labels calls that TryProduce rejected because the
	// inbox lane or the results channel had no room. Rejected calls get no
	// outcome; the label exists for callers who count them.
	ErrorTypeQueueFull = "queue_full"
)
