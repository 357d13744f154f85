package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// httpSink is the HTTP server the Talaria-style dispatcher posts to. It
// runs in the parent, like the Kafka broker, so its CPU time is not the
// child's. It reads every body and discards it, or in verify mode decodes
// and counts it.
type httpSink struct {
	url    string
	server *http.Server

	mu    sync.Mutex
	tally *messageTally // non-nil while a verified run is in progress
}

// startHTTPSink listens on a free loopback port.
func startHTTPSink() (*httpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the HTTP sink: %w", err)
	}
	s := &httpSink{url: "http://" + ln.Addr().String() + "/events"}
	s.server = &http.Server{
		Handler:           http.HandlerFunc(s.serve),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Printf("HTTP sink stopped: %v\n", err)
		}
	}()
	return s, nil
}

func (s *httpSink) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "only POST is accepted", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	tally := s.tally
	s.mu.Unlock()

	if tally == nil {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	} else {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		tally.add(body, "", 0, false)
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusAccepted)
}

// beginVerify makes the sink decode and count the bodies of the next run.
func (s *httpSink) beginVerify(spec trafficSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tally = newMessageTally(spec)
}

// endVerify returns the counts since beginVerify and stops counting.
func (s *httpSink) endVerify() verification {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.tally.result()
	s.tally = nil
	return v
}

func (s *httpSink) close() {
	s.server.Close()
}
