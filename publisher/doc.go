// Package publisher is the public API of wrpkafka: a Dispatcher that
// publishes WRP messages to Kafka through franz-go.
//
// # Flow
//
// A publishing call puts the message into a bounded inbox with one lane per
// worker. The lane is chosen by hashing the message's partition key (its
// device id), so one device's messages are handled by one worker in call
// order. The worker takes the event type from the Destination
// (event:<type>/...), picks the first route whose pattern matches, chooses
// the topic, builds the key, headers and msgpack value, and hands the record
// to franz-go, which batches, compresses, retries and writes it.
//
// # Three calls
//
//   - Produce waits for inbox room until its context ends. Once accepted,
//     a message waits in the worker if franz-go's buffer is full, which in
//     turn fills the inbox and makes callers wait: backpressure end to end.
//   - TryProduce never waits: a full lane returns ErrQueueFull, and a full
//     franz-go buffer gives the message a buffer_full outcome.
//   - ProduceSync waits like Produce, then for the broker's answer, and
//     returns its error.
//
// A caller's context only bounds that caller's wait. Records are produced
// under the publisher's own context, because franz-go fails every record
// buffered behind a record whose context ends.
//
// # Outcomes
//
// Every accepted message gets exactly one Outcome: from the worker when
// routing or encoding fails, otherwise from franz-go's promise. It goes to
// the metric callbacks, to Results() when enabled, and to a waiting
// ProduceSync caller. Calls that return an error were not accepted and get no
// outcome. A failed outcome does not prove that nothing was written: a
// record that timed out may still have been stored, so a caller that retries
// failures gets at-least-once delivery.
//
// # Ordering
//
// With acks all (the default) franz-go's idempotent producer keeps
// per-partition order and writes no duplicates across retries, so one
// device's records reach their partition in the order the calls returned.
// With acks leader or none, idempotence is off and a retry can write a
// record twice or out of order.
//
// # Stopping
//
// Stop stops admission, lets the workers hand queued messages to franz-go,
// waits up to shutdownTimeout for acknowledgements, then closes the client,
// which fails whatever is left with a stopped outcome. After the last
// outcome it closes the results channel.
package publisher
