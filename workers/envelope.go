package workers

import (
	"sync"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/xmidt-org/wrpkafka/metrics"
)

// envelope carries one message from its worker through franz-go and back to
// the promise. Envelopes are pooled, so a message in steady state allocates
// no record, value buffer, header slice or promise closure.
//
// The record is the envelope's first field, and the promise finds the
// envelope from the record's address, so it needs no closure and does not
// depend on the record's Context, which franz-go hooks may replace.
type envelope struct {
	record  kgo.Record
	job     Job
	outcome metrics.Outcome
	worker  *worker

	// value is the encoding buffer, reused across messages.
	value []byte
	// headerValues holds the values of headers that copy message fields.
	headerValues []byte
	// headers backs record.Headers for up to its length of headers.
	headers [8]kgo.RecordHeader
}

// maxPooledValue is the largest value buffer an envelope keeps when it
// returns to the pool, so one huge message does not pin its buffer forever.
const maxPooledValue = 64 << 10

var envelopes = sync.Pool{
	New: func() any { return new(envelope) },
}

func getEnvelope(w *worker, job *Job) *envelope {
	env := envelopes.Get().(*envelope)
	env.worker = w
	env.job = *job
	env.outcome = metrics.Outcome{
		Message:   job.Msg,
		Mode:      job.Mode,
		Key:       job.Key,
		KeySource: job.KeySource,
		Partition: -1,
		Offset:    -1,
	}
	return env
}

// release clears every reference the envelope holds, so the pool does not
// keep messages alive, and returns it to the pool.
func (env *envelope) release() {
	env.record = kgo.Record{}
	env.job = Job{}
	env.outcome = metrics.Outcome{}
	env.worker = nil
	env.headers = [len(env.headers)]kgo.RecordHeader{}
	if cap(env.value) > maxPooledValue {
		env.value = nil
	} else {
		env.value = env.value[:0]
	}
	if cap(env.headerValues) > maxPooledValue {
		env.headerValues = nil
	} else {
		env.headerValues = env.headerValues[:0]
	}
	envelopes.Put(env)
}

// complete is the promise of every record the workers produce.
func complete(r *kgo.Record, err error) {
	env := envelopeOf(r)
	env.worker.complete(env, r, err)
}

// envelopeOf returns the envelope whose record r is. Every record the
// workers produce is the record field of an envelope, and that field is the
// envelope's first, so both share one address.
func envelopeOf(r *kgo.Record) *envelope {
	return (*envelope)(unsafe.Pointer(r))
}

// bytesOf returns the bytes of s without copying them. The slice must only
// be read: the workers use it for record keys, which franz-go reads to
// partition and encode the record and never writes.
func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
