package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/internal/traffic"
)

// The traffic file holds the messages every system publishes, so that all
// of them, the upstream runner included, send the same bytes. Layout:
//
//	magic "WRPCMP1\n"
//	uvarint warm-up message count, uvarint measured message count
//	per message: uvarint device index, uvarint length, msgpack bytes
//
// The warm-up messages come first. The msgpack bytes are wrp-go v3's
// encoding of the message. upstream/main.go reads the same layout and must
// change with it.
const trafficMagic = "WRPCMP1\n"

// encodedMessage is one message of the traffic file.
type encodedMessage struct {
	device int    // index of the device, which picks the producer goroutine
	value  []byte // wrp-go v3 msgpack encoding
}

// trafficSet is the content of a traffic file.
type trafficSet struct {
	warmUp   []encodedMessage
	measured []encodedMessage
}

// encodedBytes returns the total msgpack size of the measured messages.
func (t *trafficSet) encodedBytes() int64 {
	var n int64
	for _, m := range t.measured {
		n += int64(len(m.value))
	}
	return n
}

// trafficSpec shapes the generated traffic.
type trafficSpec struct {
	messages int
	warmUp   int
	devices  int
	seed     uint64
	runID    uint16 // run id in the measured messages' transaction UUIDs
}

// warmUpRunID returns the run id of the warm-up messages, which differs from
// the measured one so that verification can tell them apart.
func (s trafficSpec) warmUpRunID() uint16 {
	return s.runID ^ 0x8000
}

// writeTrafficFile generates the traffic with internal/traffic and writes it
// to path. It returns the mean encoded size of a measured message in bytes.
func writeTrafficFile(path string, spec trafficSpec) (float64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)

	if _, err := w.WriteString(trafficMagic); err != nil {
		f.Close()
		return 0, err
	}
	var scratch [binary.MaxVarintLen64]byte
	writeUvarint := func(v uint64) error {
		_, err := w.Write(binary.AppendUvarint(scratch[:0], v))
		return err
	}
	if err := writeUvarint(uint64(spec.warmUp)); err != nil {
		f.Close()
		return 0, err
	}
	if err := writeUvarint(uint64(spec.messages)); err != nil {
		f.Close()
		return 0, err
	}

	// Warm-up messages come from the same devices but carry another run id,
	// so verification can tell them from the measured ones.
	warmGen := traffic.New(traffic.Options{Devices: spec.devices, Seed: spec.seed + 1, RunID: spec.warmUpRunID()})
	gen := traffic.New(traffic.Options{Devices: spec.devices, Seed: spec.seed, RunID: spec.runID})

	var (
		buf      []byte
		measured int64
	)
	for i := range spec.warmUp + spec.messages {
		g := gen
		if i < spec.warmUp {
			g = warmGen
		}
		m := g.Next()
		_, device, _, ok := traffic.ParseTransactionUUID(m.TransactionUUID)
		if !ok {
			f.Close()
			return 0, fmt.Errorf("generated transaction UUID %q is invalid", m.TransactionUUID)
		}

		buf = buf[:0]
		if err := wrp.NewEncoderBytes(&buf, wrp.Msgpack).Encode(m); err != nil {
			f.Close()
			return 0, fmt.Errorf("encoding message %s: %w", m.TransactionUUID, err)
		}
		if i >= spec.warmUp {
			measured += int64(len(buf))
		}
		if err := writeUvarint(uint64(device)); err != nil {
			f.Close()
			return 0, err
		}
		if err := writeUvarint(uint64(len(buf))); err != nil {
			f.Close()
			return 0, err
		}
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return 0, err
		}
	}

	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return float64(measured) / float64(max(spec.messages, 1)), nil
}

// readTrafficFile reads a file written by writeTrafficFile. Each message's
// bytes are a separate allocation, as a received message's would be.
func readTrafficFile(path string) (*trafficSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)

	magic := make([]byte, len(trafficMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != trafficMagic {
		return nil, fmt.Errorf("%s is not a traffic file: the magic bytes are missing", path)
	}
	warmUp, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the warm-up count: %w", path, err)
	}
	measured, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the message count: %w", path, err)
	}

	set := &trafficSet{
		warmUp:   make([]encodedMessage, 0, warmUp),
		measured: make([]encodedMessage, 0, measured),
	}
	for i := range warmUp + measured {
		device, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("%s: message %d: reading the device index: %w", path, i, err)
		}
		size, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, fmt.Errorf("%s: message %d: reading the length: %w", path, i, err)
		}
		if size > 16<<20 {
			return nil, fmt.Errorf("%s: message %d: length %d is invalid", path, i, size)
		}
		value := make([]byte, size)
		if _, err := io.ReadFull(r, value); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%s: message %d: %w", path, i, err)
		}
		m := encodedMessage{device: int(device), value: value}
		if i < warmUp {
			set.warmUp = append(set.warmUp, m)
		} else {
			set.measured = append(set.measured, m)
		}
	}
	return set, nil
}

// decodeMessages decodes msgpack values into wrp-go v3 messages.
func decodeMessages(in []encodedMessage) ([]*wrp.Message, error) {
	out := make([]*wrp.Message, len(in))
	for i, e := range in {
		m := new(wrp.Message)
		if err := wrp.NewDecoderBytes(e.value, wrp.Msgpack).Decode(m); err != nil {
			return nil, fmt.Errorf("decoding message %d: %w", i, err)
		}
		out[i] = m
	}
	return out, nil
}

// splitByDevice returns the indexes of msgs split over n groups by device,
// so each device belongs to one group and its messages keep their order.
func splitByDevice(msgs []encodedMessage, n int) [][]int {
	groups := make([][]int, n)
	for i, m := range msgs {
		g := m.device % n
		groups[g] = append(groups[g], i)
	}
	return groups
}
