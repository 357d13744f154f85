// Command plot draws the JSON results of the compare command as an SVG
// chart: throughput by system as bars, and this library's Produce
// throughput by worker count as a line.
//
//	go run ./plot -in results/compare.json -out results/compare.svg
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"math"
	"os"
	"strings"
)

// results holds the fields of the compare command's JSON that the chart
// shows.
type results struct {
	GeneratedAt string `json:"generated_at"`
	Machine     struct {
		CPUModel   string  `json:"cpu_model"`
		CPUs       int     `json:"cpus"`
		LoadBefore string  `json:"load_before"`
		LoadAfter  string  `json:"load_after"`
		OtherCPU   float64 `json:"other_cpu_s"`
		Wall       float64 `json:"wall_s"`
	} `json:"machine"`
	Settings struct {
		Messages       int     `json:"messages"`
		Repeat         int     `json:"repeat"`
		MeanValueBytes float64 `json:"mean_value_bytes"`
		Broker         string  `json:"broker"`
	} `json:"settings"`
	Systems []struct {
		System     string   `json:"system"`
		Runs       int      `json:"runs"`
		MsgsPerSec float64  `json:"msgs_per_sec"`
		RatioToRaw *float64 `json:"ratio_to_raw"`
		MaxFailed  int      `json:"max_failed"`
	} `json:"systems"`
	WorkersCurve []struct {
		Workers    int     `json:"workers"`
		MsgsPerSec float64 `json:"msgs_per_sec"`
	} `json:"workers_curve"`
}

func main() {
	in := flag.String("in", "results/compare.json", "JSON file written by the compare command with -out or -json")
	out := flag.String("out", "results/compare.svg", "SVG file to write")
	flag.Parse()

	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if len(res.Systems) == 0 && len(res.WorkersCurve) == 0 {
		return errors.New(in + " has neither systems nor a workers curve to draw")
	}
	return os.WriteFile(out, []byte(draw(&res)), 0o644)
}

// Chart geometry in SVG user units.
const (
	width       = 960
	margin      = 20
	labelWidth  = 170 // system names left of the bars
	valueWidth  = 210 // figures right of the bars
	barHeight   = 20
	rowHeight   = 28
	curveHeight = 300
)

func draw(res *results) string {
	// The height is known only after drawing, so the body goes into a
	// buffer first.
	var b strings.Builder
	y := drawHeader(&b, res, margin)
	if len(res.Systems) > 0 {
		y = drawSystems(&b, res, y+10)
	}
	if len(res.WorkersCurve) > 0 {
		y = drawCurve(&b, res, y+44)
	}
	height := y + margin
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">
<rect width="100%%" height="100%%" fill="white"/>
%s</svg>
`, width, height, width, height, b.String())
}

func drawHeader(b *strings.Builder, res *results, y int) int {
	y += 16
	text(b, margin, y, "start", 18, "bold", "Publishing the same Talaria-like WRP traffic: throughput by system")
	y += 20
	text(b, margin, y, "start", 12, "normal", fmt.Sprintf(
		"%d messages of %.0f bytes (mean msgpack), median of %d runs; %s",
		res.Settings.Messages, res.Settings.MeanValueBytes, res.Settings.Repeat, res.Settings.Broker))
	y += 16
	text(b, margin, y, "start", 12, "normal", fmt.Sprintf(
		"%d CPUs, %s; other processes used %.1f CPU s in the %.0f s of the comparison; %s",
		res.Machine.CPUs, res.Machine.CPUModel, res.Machine.OtherCPU, res.Machine.Wall, res.GeneratedAt))
	return y
}

func drawSystems(b *strings.Builder, res *results, y int) int {
	maxRate := 0.0
	for _, s := range res.Systems {
		maxRate = math.Max(maxRate, s.MsgsPerSec)
	}
	barSpace := float64(width - 2*margin - labelWidth - valueWidth)

	for _, s := range res.Systems {
		y += rowHeight
		text(b, margin+labelWidth-8, y, "end", 13, "normal", s.System)
		if s.Runs == 0 {
			text(b, margin+labelWidth, y, "start", 13, "normal", "failed")
			continue
		}
		w := 0.0
		if maxRate > 0 {
			w = barSpace * s.MsgsPerSec / maxRate
		}
		fill := "#4e79a7"
		if strings.HasPrefix(s.System, "wrpkafka") {
			fill = "#e15759"
		}
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n",
			margin+labelWidth, y-barHeight+5, w, barHeight, fill)
		label := fmt.Sprintf("%s msgs/s", group(s.MsgsPerSec))
		if s.RatioToRaw != nil {
			label += fmt.Sprintf(" (%.2f× raw)", *s.RatioToRaw)
		}
		if s.MaxFailed > 0 {
			label += fmt.Sprintf(", up to %s failed", group(float64(s.MaxFailed)))
		}
		text(b, margin+labelWidth+int(w)+6, y, "start", 12, "normal", label)
	}
	return y
}

func drawCurve(b *strings.Builder, res *results, y int) int {
	text(b, margin, y, "start", 15, "bold", "wrpkafka Produce by worker count (8 calling goroutines)")
	top := y + 36
	left := margin + 70
	right := width - margin - 20
	bottom := top + curveHeight

	maxRate := 0.0
	for _, p := range res.WorkersCurve {
		maxRate = math.Max(maxRate, p.MsgsPerSec)
	}
	rawRate := 0.0
	for _, s := range res.Systems {
		if s.System == "raw" && s.Runs > 0 {
			rawRate = s.MsgsPerSec
		}
	}
	yMax := niceCeiling(math.Max(maxRate, rawRate))

	// Horizontal grid lines with their values.
	for i := 0; i <= 4; i++ {
		v := yMax * float64(i) / 4
		gy := float64(bottom) - float64(curveHeight)*v/yMax
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, gy, right, gy)
		text(b, left-6, int(gy)+4, "end", 11, "normal", group(v))
	}
	text(b, margin, top-10, "start", 11, "normal", "msgs/s")

	// The raw franz-go system's rate, the limit, as a dashed reference.
	if rawRate > 0 {
		ry := float64(bottom) - float64(curveHeight)*rawRate/yMax
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#4e79a7" stroke-dasharray="6 4"/>`+"\n", left, ry, right, ry)
		text(b, right, int(ry)-6, "end", 11, "normal", "raw franz-go, 8 goroutines: "+group(rawRate))
	}

	// Worker counts are spaced evenly: they grow roughly by doubling.
	n := len(res.WorkersCurve)
	step := float64(right-left) / float64(max(n, 1))
	var points []string
	for i, p := range res.WorkersCurve {
		px := float64(left) + step*(float64(i)+0.5)
		py := float64(bottom) - float64(curveHeight)*p.MsgsPerSec/yMax
		points = append(points, fmt.Sprintf("%.1f,%.1f", px, py))
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#e15759"/>`+"\n", px, py)
		text(b, int(px), int(py)-10, "middle", 11, "normal", group(p.MsgsPerSec))
		text(b, int(px), bottom+18, "middle", 12, "normal", fmt.Sprint(p.Workers))
	}
	fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="#e15759" stroke-width="2"/>`+"\n", strings.Join(points, " "))
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, bottom, right, bottom)
	text(b, (left+right)/2, bottom+38, "middle", 12, "normal", "workers")
	return bottom + 40
}

func text(b *strings.Builder, x, y int, anchor string, size int, weight, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" font-size="%d" font-weight="%s">%s</text>`+"\n",
		x, y, anchor, size, weight, html.EscapeString(s))
}

// group formats v as an integer with thousands separators.
func group(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// niceCeiling rounds v up to a round multiple of a power of ten, so the
// axis has round gridline values.
func niceCeiling(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
