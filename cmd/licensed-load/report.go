package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Report is a run's results, per operation: medians over the repetitions.
type Report struct {
	Label    string     `json:"label"`
	Conns    int        `json:"conns"`
	Duration string     `json:"duration"`
	Reps     int        `json:"reps"`
	Bare     float64    `json:"bare_rps"`
	Ops      []OpResult `json:"ops"`
}

// OpResult is one operation: its rate, its ratio to the bare ceiling (the
// median over repetitions of its rate over the ceiling's, measured in
// alternating slices beside it), its latencies and its failed requests.
type OpResult struct {
	Name   string  `json:"name"`
	RPS    float64 `json:"rps"`
	Ratio  float64 `json:"ratio_to_bare"`
	P50    string  `json:"p50"`
	P99    string  `json:"p99"`
	Errors int     `json:"errors"`
}

// pair is one measurement of an operation and of the ceiling beside it.
type pair struct{ op, bare result }

func report(o options, res map[string][]pair) Report {
	r := Report{Label: o.label, Conns: o.conns, Duration: o.duration.String(), Reps: o.reps}
	var bares []float64
	for _, name := range o.ops {
		ps := res[name]
		ratios := make([]float64, len(ps))
		errs := 0
		for i, p := range ps {
			if p.bare.rps > 0 {
				ratios[i] = p.op.rps / p.bare.rps
			}
			errs += p.op.errors
			bares = append(bares, p.bare.rps)
		}
		r.Ops = append(r.Ops, OpResult{
			Name:   name,
			RPS:    median(mapped(ps, func(p pair) float64 { return p.op.rps })),
			Ratio:  median(ratios),
			P50:    time.Duration(median(mapped(ps, func(p pair) float64 { return float64(p.op.p50) }))).Round(10 * time.Microsecond).String(),
			P99:    time.Duration(median(mapped(ps, func(p pair) float64 { return float64(p.op.p99) }))).Round(10 * time.Microsecond).String(),
			Errors: errs,
		})
	}
	r.Bare = median(bares)
	return r
}

func (r Report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s: %d connections, %s per operation alternating with as much of the ceiling, medians of %d repetitions\n\n", r.Label, r.Conns, r.Duration, r.Reps)
	fmt.Fprintf(&b, "| operation | req/s | ratio to bare | p50 | p99 | failed |\n|---|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| bare net/http, 200 B JSON (ceiling; median of all slices) | %.0f | 1 | | | |\n", r.Bare)
	for _, o := range r.Ops {
		fmt.Fprintf(&b, "| %s | %.0f | %.3f | %s | %s | %d |\n", o.Name, o.RPS, o.Ratio, o.P50, o.P99, o.Errors)
	}
	return b.String()
}

func mapped[T any](xs []T, f func(T) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
