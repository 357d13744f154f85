//go:build integration

package integration

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/xmidt-org/wrp-go/v3"

	"github.com/xmidt-org/wrpkafka/publisher"
)

// Each sharding strategy must deliver to the topics it promises, checked by
// consuming the records back from the broker.
func TestShardingStrategies(t *testing.T) {
	servers := brokers(t)

	single := uniqueName(t, "single")
	rr := []string{uniqueName(t, "rr0"), uniqueName(t, "rr1"), uniqueName(t, "rr2")}
	dev := []string{uniqueName(t, "dev0"), uniqueName(t, "dev1"), uniqueName(t, "dev2")}
	meta := []string{uniqueName(t, "east"), uniqueName(t, "west"), uniqueName(t, "central")}
	all := append(append(append([]string{single}, rr...), dev...), meta...)
	createTopics(t, servers, 3, nil, all...)

	d := start(t, publisher.Config{
		Brokers: servers,
		Workers: 4,
		TopicMap: []publisher.TopicRoute{
			{Pattern: "lifecycle", Topic: single},
			{Pattern: "rr-*", Topics: rr, ShardBy: "roundrobin"},
			{Pattern: "dev-*", Topics: dev, ShardBy: "deviceid"},
			{
				Pattern:  "meta-*",
				Topics:   meta,
				ShardBy:  "metadata:region",
				ShardMap: map[string]string{"east": meta[0], "west": meta[1], "central": meta[2]},
			},
		},
	}, publisher.WithResults(4096))
	wait := drain(d)

	const perKind = 300
	send := func(eventType string, device int, region string) {
		m := &wrp.Message{
			Type:        wrp.SimpleEventMessageType,
			Source:      fmt.Sprintf("mac:%012x", device),
			Destination: fmt.Sprintf("event:%s/mac:%012x", eventType, device),
			Metadata:    map[string]string{},
		}
		if region != "" {
			m.Metadata["region"] = region
		}
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", eventType, err)
		}
	}
	regions := []string{"east", "west", "central", "", "north"}
	for i := range perKind {
		send("lifecycle", i%50, "")
		send("rr-x", i%50, "")
		send("dev-x", i%50, "")
		send("meta-x", i%50, regions[i%len(regions)])
	}
	d.Stop()
	outcomes := wait()
	if len(outcomes) != 4*perKind {
		t.Fatalf("got %d outcomes, want %d", len(outcomes), 4*perKind)
	}

	records := consume(t, servers, all, 4*perKind)
	if len(records) != 4*perKind {
		t.Fatalf("consumed %d records, want %d", len(records), 4*perKind)
	}
	perTopic := map[string]int{}
	deviceTopic := map[string]string{}
	regionTopic := map[string]string{}
	for _, r := range records {
		perTopic[r.Topic]++
		device := string(r.Key)
		switch {
		case contains(dev, r.Topic):
			if prev, ok := deviceTopic[device]; ok && prev != r.Topic {
				t.Errorf("device %s went to %s and %s", device, prev, r.Topic)
			}
			deviceTopic[device] = r.Topic
		case contains(meta, r.Topic):
			region := r.Message.Metadata["region"]
			if region == "" {
				continue // fallback: round-robin
			}
			if prev, ok := regionTopic[region]; ok && prev != r.Topic {
				t.Errorf("region %q went to %s and %s", region, prev, r.Topic)
			}
			regionTopic[region] = r.Topic
		}
	}

	if perTopic[single] != perKind {
		t.Errorf("single topic got %d records, want %d", perTopic[single], perKind)
	}
	for _, topic := range rr {
		if perTopic[topic] != perKind/3 {
			t.Errorf("round-robin topic %s got %d records, want %d", topic, perTopic[topic], perKind/3)
		}
	}
	for i, region := range []string{"east", "west", "central"} {
		if regionTopic[region] != meta[i] {
			t.Errorf("region %s went to %s, want the mapped %s", region, regionTopic[region], meta[i])
		}
	}
	if _, ok := regionTopic["north"]; !ok {
		t.Error("the unmapped region north reached no topic")
	}
	if len(deviceTopic) != 50 {
		t.Errorf("%d devices seen on deviceid topics, want 50", len(deviceTopic))
	}

	fallbacks := 0
	for _, o := range outcomes {
		if o.Fallback {
			fallbacks++
		}
	}
	if fallbacks != perKind/len(regions) {
		t.Errorf("%d outcomes report a metadata fallback, want %d", fallbacks, perKind/len(regions))
	}
}

// A record must carry the device key, the configured headers and a value
// that wrp-go v3 decodes to the sent message, also for Talaria's lifecycle
// events keyed by /hw-deviceid.
func TestRecordContents(t *testing.T) {
	servers := brokers(t)
	topic := uniqueName(t, "contents")
	createTopics(t, servers, 3, nil, topic)

	d := start(t, publisher.Config{
		Brokers:  servers,
		TopicMap: []publisher.TopicRoute{{Pattern: "*", Topic: topic}},
		Headers: map[string]string{
			"src":      "wrp.Source",
			"dst":      "wrp.Destination",
			"model":    "wrp.Metadata./hw-model",
			"instance": "talaria-it",
		},
	})

	status := int64(200)
	sent := []*wrp.Message{
		{
			Type:            wrp.SimpleEventMessageType,
			Source:          "dns:talaria.example.com",
			Destination:     "event:device-status/mac:112233445566/online",
			TransactionUUID: "c07ee5e1-70be-444c-a156-097c767ad8aa",
			ContentType:     "application/json",
			Metadata:        map[string]string{"/hw-deviceid": "mac:112233445566", "/hw-model": "XB7"},
			Payload:         []byte(`{"id":"mac:112233445566","ts":"2026-12-04T10:00:00Z"}`),
			PartnerIDs:      []string{"comcast"},
		},
		{
			Type:             wrp.SimpleRequestResponseMessageType,
			Source:           "mac:AA-BB-CC-DD-EE-FF/config",
			Destination:      "event:config-changed/mac:aabbccddeeff/config",
			TransactionUUID:  "d6a4d6a1-1f0e-4f5b-9a0e-5f1e1c2b3a4d",
			Status:           &status,
			Headers:          []string{"X-A: 1"},
			Payload:          []byte{0, 1, 2, 0xff},
			QualityOfService: 75,
		},
	}
	for _, m := range sent {
		if err := d.ProduceSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}

	records := consume(t, servers, []string{topic}, len(sent))
	if len(records) != len(sent) {
		t.Fatalf("consumed %d records, want %d", len(records), len(sent))
	}
	wantKeys := map[string]string{
		sent[0].TransactionUUID: "mac:112233445566",
		sent[1].TransactionUUID: "mac:aabbccddeeff",
	}
	for _, r := range records {
		var want *wrp.Message
		for _, m := range sent {
			if m.TransactionUUID == r.Message.TransactionUUID {
				want = m
			}
		}
		if want == nil {
			t.Fatalf("consumed an unknown record %+v", r.Message)
		}
		if !reflect.DeepEqual(&r.Message, want) {
			t.Errorf("decoded value differs:\n got %+v\nwant %+v", r.Message, *want)
		}
		if got := string(r.Key); got != wantKeys[want.TransactionUUID] {
			t.Errorf("key %q, want %q", got, wantKeys[want.TransactionUUID])
		}

		headers := map[string]string{}
		for _, h := range r.Headers {
			headers[h.Key] = string(h.Value)
		}
		wantHeaders := map[string]string{"src": want.Source, "dst": want.Destination, "instance": "talaria-it"}
		if model := want.Metadata["/hw-model"]; model != "" {
			wantHeaders["model"] = model
		}
		if !maps.Equal(headers, wantHeaders) {
			t.Errorf("headers %v, want %v", headers, wantHeaders)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
