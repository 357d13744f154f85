package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/xmidt-org/wrp-go/v3"
)

// httpRequest is one queued delivery of the dispatcher.
type httpRequest struct {
	body    []byte
	queued  time.Time
	acks    *ackCounter
	latency *latencyRecorder
}

// httpDispatcher mimics Talaria's outbound event dispatcher: producers
// encode each message and queue it on one shared channel, and a fixed pool
// of workers POSTs the bodies.
type httpDispatcher struct {
	url     string
	client  *http.Client
	queue   chan httpRequest
	workers sync.WaitGroup
}

func newHTTPDispatcher(url string) *httpDispatcher {
	d := &httpDispatcher{
		url: url,
		client: &http.Client{
			Timeout: 30 * time.Second,
			Transport: &http.Transport{
				// One idle connection per worker. Go's default of 2 per host
				// would open and close a connection for most requests.
				MaxIdleConns:        httpWorkers,
				MaxIdleConnsPerHost: httpWorkers,
				IdleConnTimeout:     time.Minute,
				DisableCompression:  true,
			},
		},
		queue: make(chan httpRequest, httpQueue),
	}
	for range httpWorkers {
		d.workers.Go(d.work)
	}
	return d
}

func (d *httpDispatcher) work() {
	for req := range d.queue {
		err := d.post(req.body)
		req.latency.record(time.Since(req.queued))
		req.acks.ack(err)
	}
}

func (d *httpDispatcher) post(body []byte) error {
	req, err := http.NewRequest(http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", wrp.Msgpack.ContentType())
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	_, copyErr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	return copyErr
}

// dispatch encodes msg and queues it, waiting while the queue is full.
func (d *httpDispatcher) dispatch(msg *wrp.Message, acks *ackCounter, lat *latencyRecorder) {
	queued := time.Now()
	var body []byte
	if err := wrp.NewEncoderBytes(&body, wrp.Msgpack).Encode(msg); err != nil {
		acks.ack(err)
		return
	}
	d.queue <- httpRequest{body: body, queued: queued, acks: acks, latency: lat}
}

func (d *httpDispatcher) close() {
	close(d.queue)
	d.workers.Wait()
	d.client.CloseIdleConnections()
}

// runHTTP publishes every message through the HTTP dispatcher to the
// parent's sink, which reads and discards the bodies.
func runHTTP(env *childEnv) (*runResult, error) {
	if env.options.httpURL == "" {
		return nil, errors.New("-http-url is required")
	}
	t, err := prepareMessageTraffic(env, asyncProducers)
	if err != nil {
		return nil, err
	}
	d := newHTTPDispatcher(env.options.httpURL)
	defer d.close()

	warm := newAckCounter(len(t.warmUp))
	publishHTTP(d, t.warmUp, t.warmUpGroups, warm, nil)
	if err := warm.wait(ackTimeout); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}

	acks := newAckCounter(len(t.measured))
	lat := newLatencyRecorder(len(t.measured))
	env.clock.start()
	publishHTTP(d, t.measured, t.measuredGroups, acks, lat)
	err = acks.wait(ackTimeout)
	env.clock.stop()
	if err != nil {
		return nil, err
	}

	res := &runResult{Producers: asyncProducers, Workers: httpWorkers}
	env.clock.fill(res)
	acks.fill(res)
	lat.fill(res)
	return res, nil
}

func publishHTTP(d *httpDispatcher, msgs []*wrp.Message, groups [][]int, acks *ackCounter, lat *latencyRecorder) {
	var wg sync.WaitGroup
	for _, group := range groups {
		wg.Go(func() {
			for _, i := range group {
				d.dispatch(msgs[i], acks, lat)
			}
		})
	}
	wg.Wait()
}
