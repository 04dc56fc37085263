package istioxds

import (
	"strconv"
	"strings"
)

// Series is one line of Prometheus text output.
type Series struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// ParsePrometheus reads Envoy's /stats/prometheus text (no escapes in our label values).
func ParsePrometheus(text string) []Series {
	var out []Series
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		s := Series{Name: line[:sp], Labels: map[string]string{}, Value: v}
		if i := strings.IndexByte(s.Name, '{'); i >= 0 {
			for _, kv := range strings.Split(strings.TrimSuffix(s.Name[i+1:], "}"), ",") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					s.Labels[k] = strings.Trim(v, `"`)
				}
			}
			s.Name = s.Name[:i]
		}
		out = append(out, s)
	}
	return out
}

// Sum adds the values of the series called name whose labels include want.
func Sum(all []Series, name string, want map[string]string) (float64, int) {
	total, n := 0.0, 0
	for _, s := range all {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range want {
			if s.Labels[k] != v {
				ok = false
			}
		}
		if ok {
			total += s.Value
			n++
		}
	}
	return total, n
}
