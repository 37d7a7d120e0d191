package feeds

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/vuln"
)

// corpusSize reads the benchmark size: WARD_BENCH_CVES / WARD_BENCH_DEVICES,
// defaulting to a quick 20k/10k; bench/vuln/run.sh sets 250k/100k.
func corpusSize() (cves, devices int) {
	cves, devices = 20000, 10000
	if v, err := strconv.Atoi(os.Getenv("WARD_BENCH_CVES")); err == nil && v > 0 {
		cves = v
	}
	if v, err := strconv.Atoi(os.Getenv("WARD_BENCH_DEVICES")); err == nil && v > 0 {
		devices = v
	}
	return cves, devices
}

var realProducts = [][2]string{
	{"bd", "alaris_8015_pcu_firmware"}, {"ge_healthcare", "carescape_b450_firmware"}, {"philips", "intellivue_mx800_firmware"},
	{"medtronic", "minimed_670g_firmware"}, {"baxter", "sigma_spectrum_firmware"}, {"b_braun", "spacecom_firmware"},
	{"siemens_healthineers", "acuson_x700_firmware"}, {"draeger", "infinity_delta_firmware"}, {"mindray", "beneview_t5_firmware"},
}

// writeCorpus writes n synthetic CVE records in the NVD API 2.0 bulk
// layout, as yearly gzip files, the way NVD's feeds and mirrors ship them.
func writeCorpus(dir string, n int, rng *rand.Rand) ([][2]string, error) {
	var products [][2]string
	for v := range 3000 {
		for p := range 8 {
			products = append(products, [2]string{fmt.Sprintf("vendor%04d", v), fmt.Sprintf("model_%d%02d_firmware", v%97, p)})
		}
	}
	products = append(products, realProducts...)
	const perFile = 10000
	for f := 0; f*perFile < n; f++ {
		year := 2000 + f
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("nvdcve-2.0-%d.json.gz", year)))
		if err != nil {
			return nil, err
		}
		zw := gzip.NewWriter(out)
		w := bufio.NewWriter(zw)
		count := min(perFile, n-f*perFile)
		fmt.Fprintf(w, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-28T00:00:00.000","vulnerabilities":[`, count, count)
		for i := range count {
			if i > 0 {
				w.WriteByte(',')
			}
			p := products[rng.IntN(len(products))]
			score := float64(rng.IntN(100)) / 10
			fmt.Fprintf(w, `{"cve":{"id":"CVE-%d-%05d","sourceIdentifier":"cve@mitre.org","published":"%d-03-17T00:59:04.010","lastModified":"2025-10-21T20:16:42.430","vulnStatus":"Analyzed","cveTags":[],`+
				`"descriptions":[{"lang":"en","value":"A synthetic vulnerability in %s %s allows remote attackers to do something unpleasant via crafted packets; generated for Ward's benchmark."}],`+
				`"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":%.1f,"baseSeverity":"HIGH","attackVector":"NETWORK"},"exploitabilityScore":3.9,"impactScore":5.9}]},`+
				`"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-%d"}]}],`+
				`"configurations":[{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:o:%s:%s:*:*:*:*:*:*:*:*","versionEndExcluding":"%d.%d.%d","matchCriteriaId":"%08X-0000-0000-0000-000000000000"}]},`+
				`{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:%s:%s:-:*:*:*:*:*:*:*","matchCriteriaId":"%08X-0000-0000-0000-000000000001"}]}]}],`+
				`"references":[{"url":"https://example.org/advisories/%d-%d","source":"cve@mitre.org"}]}}`,
				year, i, year, p[0], p[1], score, 20+rng.IntN(900), p[0], p[1], 1+rng.IntN(9), rng.IntN(10), rng.IntN(30), i, p[0], strings.TrimSuffix(p[1], "_firmware"), i, year, i)
		}
		w.WriteString("]}")
		if err := w.Flush(); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if err := out.Close(); err != nil {
			return nil, err
		}
	}
	return products, nil
}

func benchDevices(n int, products [][2]string, rng *rand.Rand) []vuln.Device {
	oses := []string{"", "", "", "Windows 7 Professional SP1", "Windows XP Embedded SP3", "VxWorks 6.9", "Linux 4.19", "Windows 10 1909"}
	devs := make([]vuln.Device, n)
	for i := range devs {
		p := products[rng.IntN(len(products))]
		d := vuln.Device{ID: "dev-" + strconv.Itoa(i), Manufacturer: strings.ReplaceAll(p[0], "_", " "),
			Model: strings.ReplaceAll(strings.TrimSuffix(p[1], "_firmware"), "_", " "), OS: oses[rng.IntN(len(oses))]}
		if rng.IntN(4) > 0 {
			d.Version = fmt.Sprintf("%d.%d.%d", 1+rng.IntN(9), rng.IntN(10), rng.IntN(30))
		}
		if rng.IntN(10) == 0 {
			d.Manufacturer = fmt.Sprintf("Unknown Vendor %d", rng.IntN(1000))
		}
		devs[i] = d
	}
	return devs
}

// BenchmarkNVDCorpus imports a generated NVD-layout corpus into SQLite,
// builds the matcher from the database and matches an inventory. It runs
// only with -bench; sizes come from corpusSize.
func BenchmarkNVDCorpus(b *testing.B) {
	nCVE, nDev := corpusSize()
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	products, err := writeCorpus(dir, nCVE, rng)
	if err != nil {
		b.Fatal(err)
	}
	devs := benchDevices(nDev, products, rng)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := db.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		s, err := NewStore(ctx, d, nil)
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		sums, _, err := s.ImportPaths(ctx, []string{dir}, vuln.NewNormalizer(nil), nil)
		if err != nil {
			b.Fatal(err)
		}
		tImport := time.Since(t0)
		t1 := time.Now()
		m, err := vuln.NewMatcher(ctx, s, vuln.Options{})
		if err != nil {
			b.Fatal(err)
		}
		tIndex := time.Since(t1)
		t2, c2 := time.Now(), cpuTime()
		fs, err := m.Match(ctx, devs)
		if err != nil {
			b.Fatal(err)
		}
		tMatch, cMatch := time.Since(t2), cpuTime()-c2
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		records := 0
		for _, s := range sums {
			records += s.Records
		}
		b.ReportMetric(tImport.Seconds(), "import-s")
		b.ReportMetric(tIndex.Seconds(), "index-s")
		b.ReportMetric(tMatch.Seconds(), "match-s")
		b.ReportMetric(cMatch.Seconds(), "match-cpu-s")
		b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heap-MiB")
		fmt.Fprintf(os.Stderr, "corpus %d CVEs in %d files: import %s; matcher index %s (%d advisories); match %d devices %s (CPU %s) -> %d findings; heap sys %d MiB, peak RSS %s\n",
			records, len(sums), tImport.Round(time.Millisecond), tIndex.Round(time.Millisecond), m.Advisories(), len(devs), tMatch.Round(time.Millisecond), cMatch.Round(time.Millisecond), len(fs), ms.HeapSys>>20, peakRSS())
		d.Close()
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// tells the work done apart from time spent waiting for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "n/a"
}
