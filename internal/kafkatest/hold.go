package kafkatest

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// HoldProduce makes an in-process kfake cluster hold every produce request
// until release runs or the cluster closes, as a broker that stops
// responding does. release is safe to call more than once.
func HoldProduce(c *kfake.Cluster) (release func()) {
	gate := make(chan struct{})
	var once sync.Once
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		c.SleepControl(func() { <-gate })
		return nil, nil, false
	})
	// The control stays installed. With the gate open it no longer sleeps,
	// and the cluster handles each request as usual.
	return func() { once.Do(func() { close(gate) }) }
}
