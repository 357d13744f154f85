package publisher

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseYAML decodes a Config from a YAML document whose top level holds the
// Config's keys, such as brokers and topicMap. Durations are written like
// 250ms or 5s. A key that names no field is an error that gives its line,
// so a misspelled setting is not silently ignored. An empty input and a
// second document are errors too.
//
// ParseYAML checks only the document's shape; New checks the values.
func ParseYAML(data []byte) (Config, error) {
	var c Config
	if err := decodeStrict(data, &c); err != nil {
		return Config{}, fmt.Errorf("wrpkafka: parsing the YAML configuration: %w", err)
	}
	return c, nil
}

// ParseYAMLSection decodes the Config under key, a top-level key of a YAML
// document such as a service's configuration file with a kafka section.
// The section follows ParseYAML's rules, and error lines count from the
// start of the whole document. The document's other top-level keys configure
// other parts of the service and are ignored. A missing or empty section is
// an error.
func ParseYAMLSection(data []byte, key string) (Config, error) {
	if key == "" || key == "-" || strings.Contains(key, ",") {
		return Config{}, fmt.Errorf("wrpkafka: section key %q is invalid: give a top-level key such as kafka, without commas", key)
	}

	doc := reflect.New(sectionDocument(key))
	if err := decodeStrict(data, doc.Interface()); err != nil {
		return Config{}, fmt.Errorf("wrpkafka: parsing the YAML configuration: %w", err)
	}

	section := doc.Elem().Field(0).Interface().(*Config)
	if section == nil {
		others := doc.Elem().Field(1).Interface().(map[string]yaml.Node)
		keys := slices.Sorted(maps.Keys(others))
		return Config{}, fmt.Errorf("wrpkafka: the YAML document has no %q section or it is empty; its top-level keys are %q", key, keys)
	}
	return *section, nil
}

// sectionDocument returns a struct type with a *Config field tagged with key
// and an inline map for every other top-level key. The type is built at run
// time because yaml.v3 checks unknown keys (KnownFields) only while it
// decodes a document; Node.Decode ignores the setting, so the section cannot
// be picked out first and decoded strictly afterwards. The inline map takes
// the other keys, so only the section is checked.
func sectionDocument(key string) reflect.Type {
	return reflect.StructOf([]reflect.StructField{
		{
			Name: "Section",
			Type: reflect.TypeFor[*Config](),
			Tag:  reflect.StructTag("yaml:" + strconv.Quote(key)),
		},
		{
			Name: "Others",
			Type: reflect.TypeFor[map[string]yaml.Node](),
			Tag:  `yaml:",inline"`,
		},
	})
}

// decodeStrict decodes the single YAML document in data into out, failing
// on keys that name no field.
func decodeStrict(data []byte, out any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the document is empty")
		}
		return err
	}

	// yaml.v3 reads one document per Decode, so a second one would
	// otherwise be dropped without notice.
	var next yaml.Node
	err := dec.Decode(&next)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return err
	default:
		return fmt.Errorf("line %d: a second YAML document starts here; keep the configuration in one document", next.Line)
	}
}
