package dissect

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

func TestEmitAllowed(t *testing.T) {
	allowed := map[string]bool{"x.model": true, "x.serial": true}
	var c observe.Collector
	o := observe.Observation{Protocol: "x"}
	o.Add("x.model", "M1")
	o.Add("x.patient", "CANARY")
	o.Add("x.serial", "S1")
	fields := o.Fields
	if n := EmitAllowed(&c, &o, allowed); n != 1 {
		t.Fatalf("dropped %d, want 1", n)
	}
	if len(c.Obs) != 1 || len(c.Obs[0].Fields) != 2 {
		t.Fatalf("emitted %+v", c.Obs)
	}
	if v, ok := c.Obs[0].Get("x.patient"); ok {
		t.Fatalf("a field off the list went out: %q", v)
	}
	if fields[2] != (observe.Field{}) {
		t.Errorf("the dropped value lingers in the reused slice: %+v", fields[2])
	}
	empty := observe.Observation{Protocol: "x"}
	empty.Add("x.patient", "CANARY")
	if n := EmitAllowed(&c, &empty, allowed); n != 1 || len(c.Obs) != 1 {
		t.Errorf("an observation left empty was emitted (dropped %d, %d emitted)", n, len(c.Obs))
	}
}
