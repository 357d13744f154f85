module github.com/xmidt-org/wrpkafka/bench/compare/upstream

go 1.26.8

require (
	github.com/xmidt-org/wrp-go/v5 v5.4.0
	github.com/xmidt-org/wrpkafka v0.1.0
)

require (
	github.com/klauspost/compress v1.18.2 // indirect
	github.com/philhofer/fwd v1.2.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.22 // indirect
	github.com/tinylib/msgp v1.5.0 // indirect
	github.com/twmb/franz-go v1.20.6 // indirect
	github.com/twmb/franz-go/pkg/kmsg v1.12.0 // indirect
	github.com/xmidt-org/eventor v1.0.23 // indirect
)
