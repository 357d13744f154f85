// Package router does the per-message work of publishing a WRP message to
// Kafka that needs no Kafka client. It derives the event type from the
// Destination and the device key that orders and partitions records. It
// chooses the topic from a compiled route table, and it builds the record
// headers and the msgpack record value.
//
// Everything here is a function of its arguments or a value compiled once
// from configuration. After compilation only a Table's round-robin counters
// change, atomically, so the compiled values are safe for concurrent use.
// Nothing starts goroutines.
//
// The per-message functions do not allocate in the common case. EventType
// never does on success. KeySources.DeviceKey and CanonicalDeviceID do not
// when the id is already canonical. Table.Route does not unless an
// IgnoreCase route must lower-case the event type. Encode does not with a
// reused buffer and at most 16 metadata entries. Headers.Append allocates
// once per call for field values. The benchmarks in this package measure
// each of them.
package router
