package publisher

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goschtalt/goschtalt"
	"github.com/goschtalt/goschtalt/pkg/adapter"
	"github.com/goschtalt/goschtalt/pkg/decoder"
	"github.com/goschtalt/goschtalt/pkg/meta"
	"gopkg.in/yaml.v3"
)

// yamlTreeDecoder is a goschtalt decoder for YAML files built on yaml.v3.
// Services register github.com/goschtalt/yaml-decoder instead, which also
// decodes with yaml.v3 into plain Go values.
//
// NOTE: these tests run goschtalt's unmarshalling on this stand-in's tree,
// not on yaml-decoder's, which is not a dependency of this module.
type yamlTreeDecoder struct{}

func (yamlTreeDecoder) Extensions() []string { return []string{"yaml", "yml"} }

func (yamlTreeDecoder) Decode(ctx decoder.Context, data []byte, out *meta.Object) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		*out = meta.Object{}
		return nil
	}

	obj, err := objectFromNode(ctx.Filename, doc.Content[0])
	if err != nil {
		return fmt.Errorf("%s: %w", ctx.Filename, err)
	}
	*out = obj
	return nil
}

// objectFromNode converts a YAML node into goschtalt's tree, with the file,
// line and column of each node as its origin.
func objectFromNode(file string, n *yaml.Node) (meta.Object, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	obj := meta.Object{Origins: []meta.Origin{{File: file, Line: n.Line, Col: n.Column}}}

	switch n.Kind {
	case yaml.MappingNode:
		obj.Map = make(map[string]meta.Object, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Kind != yaml.ScalarNode || key.Value == "<<" {
				return meta.Object{}, fmt.Errorf("line %d: only plain scalar keys are supported", key.Line)
			}
			value, err := objectFromNode(file, n.Content[i+1])
			if err != nil {
				return meta.Object{}, err
			}
			obj.Map[key.Value] = value
		}
	case yaml.SequenceNode:
		obj.Array = make([]meta.Object, len(n.Content))
		for i, item := range n.Content {
			value, err := objectFromNode(file, item)
			if err != nil {
				return meta.Object{}, err
			}
			obj.Array[i] = value
		}
	default:
		// A scalar becomes the Go value yaml.v3 resolves it to: string,
		// int, float64, bool or nil.
		if err := n.Decode(&obj.Value); err != nil {
			return meta.Object{}, err
		}
	}
	return obj, nil
}

// loadWithGoschtalt compiles the YAML files in fsys the way an xmidt service
// does and unmarshals the kafka section into a Config. caseStyle is the
// service's goschtalt.ConfigIs style, or "" for none.
func loadWithGoschtalt(t *testing.T, fsys fstest.MapFS, caseStyle string) (Config, error) {
	t.Helper()

	opts := []goschtalt.Option{
		goschtalt.WithDecoder(yamlTreeDecoder{}),
		goschtalt.AddDir(fsys, "."),
		goschtalt.AutoCompile(),
		// These two are part of goschtalt/pkg/typical, which xmidt
		// services import: durations from strings such as 5s, and
		// unknown keys as errors.
		goschtalt.DefaultUnmarshalOptions(
			adapter.DurationUnmarshal(),
			goschtalt.Strictness(goschtalt.SUBSET),
		),
	}
	if caseStyle != "" {
		opts = append(opts, goschtalt.ConfigIs(caseStyle))
	}

	gs, err := goschtalt.New(opts...)
	if err != nil {
		t.Fatalf("goschtalt.New: %v", err)
	}
	// Config's yaml tags name its keys; the service's case style, if any,
	// is applied to them.
	return goschtalt.Unmarshal[Config](gs, "kafka", goschtalt.TagName("yaml"))
}

// exampleFS returns a file system with examplePath as its only file.
func exampleFS(t *testing.T, data []byte) fstest.MapFS {
	t.Helper()
	return fstest.MapFS{"talaria-kafka.yaml": {Data: data, Mode: 0o644}}
}

func TestGoschtaltLoadsExample(t *testing.T) {
	data, _ := readExample(t, "", "")
	cfg, err := loadWithGoschtalt(t, exampleFS(t, data), "")
	if err != nil {
		t.Fatalf("goschtalt could not load the example: %v", err)
	}
	checkConfig(t, cfg, exampleConfig())

	if _, err := New(WithConfig(cfg)); err != nil {
		t.Errorf("New rejected the example loaded with goschtalt: %v", err)
	}
}

// xmidt services call goschtalt.ConfigIs("two_words"), which applies
// snake_case to every key, Config's included.
func TestGoschtaltLoadsSnakeCaseKeys(t *testing.T) {
	data, err := os.ReadFile("testdata/talaria-kafka-snake.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadWithGoschtalt(t, exampleFS(t, data), "two_words")
	if err != nil {
		t.Fatalf("goschtalt could not load the snake_case example: %v", err)
	}
	checkConfig(t, cfg, exampleConfig())
}

func TestGoschtaltUnknownKeys(t *testing.T) {
	for _, tc := range misspelledKeys {
		t.Run(tc.name, func(t *testing.T) {
			data, _ := readExample(t, tc.old, tc.replacement)
			_, err := loadWithGoschtalt(t, exampleFS(t, data), "")
			if err == nil {
				t.Fatalf("goschtalt accepted the unknown key %s", tc.key)
			}
			if !strings.Contains(err.Error(), "invalid keys: "+tc.key) {
				t.Errorf("error %q does not name the key %s", err, tc.key)
			}
		})
	}
}

// goschtalt hands values to mapstructure without weak typing, so a number
// where Config has a string is an error, unlike with yaml.v3.
func TestGoschtaltUnquotedMinVersion(t *testing.T) {
	data, _ := readExample(t, `minVersion: "1.3"`, `minVersion: 1.3`)
	_, err := loadWithGoschtalt(t, exampleFS(t, data), "")
	if err == nil {
		t.Fatal("goschtalt accepted the number 1.3 for the string minVersion")
	}
	if !strings.Contains(err.Error(), "minVersion") {
		t.Errorf("error %q does not name minVersion", err)
	}

	if _, err := ParseYAMLSection(data, "kafka"); err != nil {
		t.Errorf("ParseYAMLSection rejected the unquoted minVersion: %v", err)
	}
}
