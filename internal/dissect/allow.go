package dissect

import "github.com/wardiomt/ward/internal/observe"

// EmitAllowed passes o on with only the fields allowed names, and reports
// how many it dropped. Dissectors of protocols that carry patient data
// (ASTM, POCT1-A) read only allowlisted header fields; this is the
// backstop that keeps anything else out of an observation even if a
// parser bug put it there. An observation left empty is not emitted.
func EmitAllowed(e observe.Emitter, o *observe.Observation, allowed map[string]bool) (dropped int) {
	kept := o.Fields[:0]
	for _, f := range o.Fields {
		if allowed[f.Key] {
			kept = append(kept, f)
			continue
		}
		dropped++
	}
	clear(o.Fields[len(kept):]) // no dropped value lingers in the reused slice
	o.Fields = kept
	if len(kept) > 0 {
		e.Emit(o)
	}
	return dropped
}
