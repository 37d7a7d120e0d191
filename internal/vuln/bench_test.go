package vuln

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// synthetic builds an NVD-like provider of n CVE advisories over 24k
// vendor products, and devices drawn from the same products.
func synthetic(nAdv, nDev int) (*MemProvider, []Device) {
	rng := rand.New(rand.NewPCG(3, 4))
	type prod struct{ vendor, name string }
	var prods []prod
	for v := range 3000 {
		for p := range 8 {
			prods = append(prods, prod{fmt.Sprintf("vendor%04d", v), fmt.Sprintf("model %d%02d firmware", v%97, p)})
		}
	}
	mp := &MemProvider{}
	for i := range nAdv {
		p := prods[rng.IntN(len(prods))]
		id := fmt.Sprintf("CVE-%d-%05d", 2000+i/10000, i%10000)
		mp.Items = append(mp.Items, Advisory{ID: id, Source: SourceNVD,
			Products: []Product{{ID: "c", Vendor: p.vendor, Name: p.name, Range: fmt.Sprintf("<%d.%d.%d", 1+rng.IntN(9), rng.IntN(10), rng.IntN(30)), RangeKind: "range"}},
			Vulns:    []Vuln{{CVE: id, CWE: []string{"CWE-" + strconv.Itoa(20+rng.IntN(900))}, Scores: []Score{{Source: "nvd@nist.gov", Version: "3.1", Score: 9.8, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}}})
	}
	devs := make([]Device, nDev)
	for i := range devs {
		p := prods[rng.IntN(len(prods))]
		devs[i] = Device{ID: strconv.Itoa(i), Manufacturer: p.vendor, Model: p.name[:len(p.name)-len(" firmware")]}
		if rng.IntN(4) > 0 {
			devs[i].Version = fmt.Sprintf("%d.%d.%d", 1+rng.IntN(9), rng.IntN(10), rng.IntN(30))
		}
		if rng.IntN(5) == 0 {
			devs[i].OS = "Windows 7 SP1"
		}
	}
	return mp, devs
}

// BenchmarkMatchSynthetic matches 10k devices against 25k advisories in
// memory (no database); the full NVD-sized run is BenchmarkNVDCorpus in
// internal/feeds (bench/vuln/run.sh).
func BenchmarkMatchSynthetic(b *testing.B) {
	p, devs := synthetic(25000, 10000)
	ctx := context.Background()
	m, err := NewMatcher(ctx, p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Match(ctx, devs); err != nil {
			b.Fatal(err)
		}
	}
}
