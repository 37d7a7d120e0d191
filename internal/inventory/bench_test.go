package inventory_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
)

// benchObservations makes n observations spread over devices devices:
// DHCP ACKs, DICOM and HL7 with identity fields, services and flows.
// Devices talk in groups of window devices taking turns (window =
// devices: strict round-robin, the worst case where every batch touches
// as many devices as it can).
func benchObservations(n, devices, window int) []observe.Observation {
	obs := make([]observe.Observation, 0, n)
	at := t0
	window = max(1, min(window, devices))
	perDev := max(1, n/devices)
	for i := 0; len(obs) < n; i++ {
		group := i / (window * perDev)
		d := (group*window + i%window) % devices
		round := (i % (window * perDev)) / window
		m := fmt.Sprintf("00:1b:%02x:%02x:%02x:%02x", (d>>24)&0xff, (d>>16)&0xff, (d>>8)&0xff, d&0xff)
		ipS := fmt.Sprintf("10.%d.%d.%d", (d/250/250)%250, (d/250)%250, d%250+1)
		at = at.Add(time.Millisecond)
		var o observe.Observation
		switch round % 5 {
		case 0:
			o = ob(at, "dhcp", "00:50:56:00:00:01", "10.255.255.1", m, ipS, 67, 68,
				"dhcp.message_type", "ack", "dhcp.client_mac", m, "dhcp.your_ip", ipS, "dhcp.hostname", "host-"+strconv.Itoa(d))
		case 1:
			o = ob(at, "dicom", m, ipS, "00:50:56:00:01:04", "10.255.0.10", 50000, 104,
				"dicom.manufacturer", "Philips", "dicom.model", "EPIQ 7G", "dicom.software_versions", "5.0.2",
				"dicom.serial", "SN-"+strconv.Itoa(d), "dicom.stores", "1", "dicom.calling_ae", "AE"+strconv.Itoa(d))
		case 2:
			o = ob(at, "service", m, ipS, "00:50:56:00:01:04", "10.255.0.10", 443, 40000+uint16(round), "service.port", "443")
		case 3:
			o = ob(at, "flow", m, ipS, "00:50:56:00:01:04", "10.255.0.10", 40000+uint16(round), 2575,
				"flow.app", "hl7", "flow.bytes", "1000", "flow.packets", "8")
		default:
			o = ob(at, "hl7", m, ipS, "00:50:56:00:01:04", "10.255.0.10", 40000, 2575,
				"hl7.sending_application", "MON", "hl7.results", "3")
		}
		obs = append(obs, o)
	}
	return obs
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkIngest ingests WARD_BENCH_OBS observations (default 1,000,000)
// over WARD_BENCH_DEVICES devices (default 100,000) on each store and
// reports observations/s and heap. Devices talk in turns of
// WARD_BENCH_WINDOW devices (default 1000; set it to the device count for
// the worst case). Run it explicitly:
//
//	go test ./internal/inventory -run '^$' -bench Ingest -benchtime 1x -timeout 60m
func BenchmarkIngest(b *testing.B) {
	n, devices := envInt("WARD_BENCH_OBS", 1_000_000), envInt("WARD_BENCH_DEVICES", 100_000)
	batch := envInt("WARD_BENCH_BATCH", 5000)
	obs := benchObservations(n, devices, envInt("WARD_BENCH_WINDOW", 1000))
	run := func(b *testing.B, open func(testing.TB) *db.DB) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			s := newService(b, open(b), nil)
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base) // the input observations are not the service's memory
			b.StartTimer()
			start := time.Now()
			var paused time.Duration
			var peak uint64
			var ms runtime.MemStats
			for i := 0; i < len(obs); i += batch {
				if _, err := s.Ingest(context.Background(), "", obs[i:min(i+batch, len(obs))]); err != nil {
					b.Fatal(err)
				}
				if (i/batch)%10 == 5 {
					// Live heap after a collection: what the service retains,
					// not what the GC has yet to reclaim.
					b.StopTimer()
					gcStart := time.Now()
					runtime.GC()
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapAlloc)
					paused += time.Since(gcStart)
					b.StartTimer()
				}
			}
			el := time.Since(start) - paused
			b.StopTimer()
			_, total, err := s.Devices(context.Background(), inventory.DeviceFilter{Limit: 1})
			if err != nil {
				b.Fatal(err)
			}
			if total < devices && n >= devices {
				b.Fatalf("%d devices, want %d", total, devices)
			}
			b.ReportMetric(float64(len(obs))/el.Seconds(), "obs/s")
			b.ReportMetric(float64(peak-min(peak, base.HeapAlloc))/(1<<20), "live-heap-MiB")
			b.ReportMetric(float64(total), "devices")
			b.StartTimer()
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, func(t testing.TB) *db.DB { return dbtest.SQLite(t) }) })
	b.Run("postgres", func(b *testing.B) { run(b, func(t testing.TB) *db.DB { return dbtest.Postgres(t) }) })
}

// BenchmarkListDevices pages through an inventory of WARD_BENCH_DEVICES devices.
func BenchmarkListDevices(b *testing.B) {
	devices := envInt("WARD_BENCH_DEVICES", 100_000)
	obs := benchObservations(devices*2, devices, 1000)
	run := func(b *testing.B, d *db.DB) {
		s := newService(b, d, nil)
		for i := 0; i < len(obs); i += 5000 {
			if _, err := s.Ingest(context.Background(), "", obs[i:min(i+5000, len(obs))]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			page, _, err := s.Devices(context.Background(), inventory.DeviceFilter{Sort: "-last_seen", Limit: 100, Offset: devices / 2})
			if err != nil || len(page) != 100 {
				b.Fatalf("%d devices, %v", len(page), err)
			}
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, dbtest.Postgres(b)) })
}
