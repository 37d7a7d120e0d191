package dicom

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
)

// liveDump is a dcmtk dump2dcm input: a synthetic CT with device attributes
// and canary patient/study values.
const liveDump = `(0008,0005) CS [ISO_IR 100]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [2.25.%d]
(0008,0050) SH [CANARYACC77]
(0008,0060) CS [CT]
(0008,0070) LO [Acme Imaging]
(0008,0080) LO [Live Test Hospital]
(0008,1010) SH [CTLIVE1]
(0008,1090) LO [CT-X 128]
(0010,0010) PN [CANARY^LIVE^PATIENT]
(0010,0020) LO [CANARYID001]
(0010,0030) DA [19230405]
(0018,1000) LO [ACM-CT-0007]
(0018,1020) LO [VA10\SP2]
(0020,000d) UI [2.25.424242424242]
(0020,000e) UI [2.25.%d]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US %d
(0028,0011) US 1000
(0028,0100) US 16
(0028,0101) US 16
(0028,0102) US 15
(0028,0103) US 0
(7fe0,0010) OW =%s
`

var liveCanaries = []string{"CANARY", "19230405", "424242424242"}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed; CI must install dcmtk", tool)
			}
			t.Skipf("%s not installed (apt-get install dcmtk); skipping", tool)
		}
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("live capture needs root in CI")
		}
		t.Skip("live capture needs root")
	}
}

// netns is a private network namespace holding only a loopback interface:
// the servers listen there, so nothing is reachable from outside.
type netns struct {
	holder *exec.Cmd
	path   string
}

func newNetns(t *testing.T) *netns {
	t.Helper()
	holder := exec.Command("unshare", "-n", "sleep", "600")
	if err := holder.Start(); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	ns := &netns{holder: holder, path: fmt.Sprintf("/proc/%d/ns/net", holder.Process.Pid)}
	for i := 0; i < 50; i++ { // wait until unshare has switched namespaces
		self, _ := os.Readlink("/proc/self/ns/net")
		if other, err := os.Readlink(ns.path); err == nil && other != self {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Bring lo up and see that it is: now and then the namespace's lo was
	// still down afterwards, and every client then failed with "Network
	// is unreachable" while the server listened.
	for i := 0; ; i++ {
		if out, err := ns.command(context.Background(), "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("lo up: %v %s", err, out)
		}
		out, _ := ns.command(context.Background(), "ip", "-o", "addr", "show", "dev", "lo").Output()
		if strings.Contains(string(out), "127.0.0.1") {
			break
		}
		if i == 50 {
			t.Fatalf("lo in the test namespace has no 127.0.0.1 after 50 tries: %s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ns
}

func (n *netns) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + n.path, name}, args...)...)
}

// waitListening waits until something in the namespace listens on TCP
// port: a server started in the background is not ready at once.
func (n *netns) waitListening(ctx context.Context, t *testing.T, port uint16) {
	t.Helper()
	suffix := fmt.Sprintf(":%04X", port)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		out, _ := n.command(ctx, "cat", "/proc/net/tcp", "/proc/net/tcp6").Output()
		for line := range strings.SplitSeq(string(out), "\n") {
			// sl local_address rem_address st ...: st 0A is LISTEN.
			if f := strings.Fields(line); len(f) > 3 && strings.HasSuffix(f[1], suffix) && f[3] == "0A" {
				return
			}
		}
	}
	t.Fatalf("nothing listens on tcp/%d in the namespace after 10 s", port)
}

// capture runs Ward's live capture on the namespace's lo and decodes with
// only the DICOM dissector until ctx ends.
func (n *netns) capture(ctx context.Context, t *testing.T, ready chan<- error) (chan []observe.Observation, chan *decode.Stats) {
	obsc, statc := make(chan []observe.Observation, 1), make(chan *decode.Stats, 1)
	go func() {
		// The AF_PACKET socket belongs to the namespace of the thread that
		// creates it; this thread is never unlocked, so it dies with the goroutine.
		runtime.LockOSThread()
		var c observe.Collector
		var dec *decode.Decoder
		defer func() {
			if dec != nil {
				dec.Flush()
				statc <- dec.Stats()
			} else {
				statc <- nil
			}
			obsc <- c.Obs
		}()
		fd, err := unix.Open(n.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			ready <- err
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			ready <- fmt.Errorf("setns: %w", err)
			return
		}
		live, err := capture.OpenLive(capture.LiveConfig{Interface: "lo", PollTimeout: 50 * time.Millisecond, BlockSize: 1 << 20, NumBlocks: 32})
		if err != nil {
			ready <- err
			return
		}
		defer live.Close()
		cfg := decode.DefaultConfig()
		cfg.SynSignatures, cfg.Services = false, false
		dec, err = decode.New(cfg, decode.Split(New()), observe.EmitterFunc(func(o *observe.Observation) {
			if o.Protocol == "dicom" {
				c.Emit(o)
			}
		}))
		if err != nil {
			ready <- err
			return
		}
		ready <- nil
		for ctx.Err() == nil {
			p, err := live.ReadPacket()
			if errors.Is(err, capture.ErrTimeout) {
				continue
			}
			if err != nil {
				return
			}
			dec.Packet(p.Data, p.Info, p.LinkType)
		}
	}()
	return obsc, statc
}

// start begins Ward's live capture in the namespace; the function it
// returns stops it and gives what it saw.
func (n *netns) start(ctx context.Context, t *testing.T) func() ([]observe.Observation, *decode.Stats) {
	t.Helper()
	capCtx, stop := context.WithCancel(ctx)
	ready := make(chan error, 1)
	obsc, statc := n.capture(capCtx, t, ready)
	if err := <-ready; err != nil {
		stop()
		t.Fatalf("live capture: %v", err)
	}
	return func() ([]observe.Observation, *decode.Stats) {
		stop()
		return <-obsc, <-statc
	}
}

// liveCT writes liveDump as a DICOM file in dir: a CT of rows x 1000
// pixels whose SOP and series UIDs derive from uid.
func liveCT(t *testing.T, dir, name string, rows, uid int) string {
	t.Helper()
	px := filepath.Join(dir, name+".raw")
	if err := os.WriteFile(px, make([]byte, rows*1000*2), 0o600); err != nil {
		t.Fatal(err)
	}
	dump := filepath.Join(dir, name+".dump")
	if err := os.WriteFile(dump, []byte(fmt.Sprintf(liveDump, uid, uid+1, rows, px)), 0o600); err != nil {
		t.Fatal(err)
	}
	dcm := filepath.Join(dir, name+".dcm")
	if out, err := exec.Command("dump2dcm", "--write-xfer-little", dump, dcm).CombinedOutput(); err != nil {
		t.Fatalf("dump2dcm: %v %s", err, out)
	}
	return dcm
}

// TestDCMTKLive runs dcmtk's echoscu, storescu (in four transfer syntaxes
// and one bulk association) and findscu against storescp, captures them
// with Ward's own live capture, and checks every field.
func TestDCMTKLive(t *testing.T) {
	needTools(t, "storescp", "storescu", "echoscu", "findscu", "dump2dcm", "unshare", "nsenter", "ip")
	dir := t.TempDir()
	mk := func(name string, rows, uid int) string { return liveCT(t, dir, name, rows, uid) }
	small := mk("small", 8, 1000)
	bulk := []string{mk("bulk1", 1000, 2000), mk("bulk2", 1000, 3000), mk("bulk3", 1000, 4000)}

	ns := newNetns(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stopCapture := ns.start(ctx, t)

	const port = "11112"
	scp := ns.command(ctx, "storescp", "+xd", "-aet", "LIVEPACS", "-od", t.TempDir(), port)
	if err := scp.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = scp.Process.Kill(); _ = scp.Wait() }()
	ns.waitListening(ctx, t, 11112)

	run := func(name string, args ...string) {
		t.Helper()
		out, err := ns.command(ctx, name, args...).CombinedOutput()
		if err != nil && name != "findscu" {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	peer := []string{"-aec", "LIVEPACS", "127.0.0.1", port}
	run("echoscu", append([]string{"-aet", "LIVEECHO"}, peer...)...)
	syntaxes := map[string]string{"-xi": "LIVEIMPL", "-xe": "LIVEEXPL", "-xb": "LIVEBIG", "-xd": "LIVEDEFL"}
	for opt, aet := range syntaxes {
		run("storescu", append([]string{opt, "-aet", aet}, append(peer, small)...)...)
	}
	run("storescu", append([]string{"-aet", "LIVEBULK"}, append(peer, bulk...)...)...)
	run("findscu", append([]string{"-S", "-aet", "LIVEFIND", "-k", "QueryRetrieveLevel=STUDY", "-k", "PatientName=CANARY*"}, peer...)...)
	time.Sleep(500 * time.Millisecond)
	obs, stats := stopCapture()

	// Group observations by association (the client's port).
	byAssoc := map[uint16][]observe.Observation{}
	aet := map[uint16]string{}
	for _, o := range obs {
		client := o.SrcPort
		if client == 11112 {
			client = o.DstPort
		}
		byAssoc[client] = append(byAssoc[client], o)
		if v, ok := o.Get("dicom.calling_ae"); ok {
			aet[client] = v
		}
	}
	find := func(ae string) []observe.Observation {
		for p, a := range aet {
			if a == ae {
				return byAssoc[p]
			}
		}
		t.Errorf("no association from %s captured", ae)
		return nil
	}
	value := func(os []observe.Observation, key string) []string {
		var v []string
		for _, o := range os {
			if x, ok := o.Get(key); ok {
				v = append(v, x)
			}
		}
		return v
	}
	has := func(vs []string, want string) bool {
		for _, v := range vs {
			if v == want {
				return true
			}
		}
		return false
	}

	echo := find("LIVEECHO")
	for _, c := range []string{"C-ECHO-RQ", "C-ECHO-RSP"} {
		if !has(value(echo, "dicom.command"), c) {
			t.Errorf("echo: no %s in %v", c, value(echo, "dicom.command"))
		}
	}
	wantTS := map[string]string{"-xi": tsImplicitLE, "-xe": tsExplicitLE, "-xb": tsExplicitBE, "-xd": tsDeflatedLE}
	wantID := map[string]string{
		"dicom.modality": "CT", "dicom.manufacturer": "Acme Imaging", "dicom.institution": "Live Test Hospital",
		"dicom.station_name": "CTLIVE1", "dicom.model": "CT-X 128", "dicom.serial": "ACM-CT-0007",
		"dicom.software_versions": `VA10\SP2`,
	}
	for opt, ae := range syntaxes {
		a := find(ae)
		if !has(value(a, "dicom.transfer_syntax"), named(transferSyntaxes, wantTS[opt])) {
			t.Errorf("%s: accepted transfer syntaxes %v, want %s", ae, value(a, "dicom.transfer_syntax"), wantTS[opt])
		}
		for k, w := range wantID {
			if got := value(a, k); len(got) != 1 || got[0] != w {
				t.Errorf("%s: %s = %v, want [%s]", ae, k, got, w)
			}
		}
		for _, o := range a {
			if _, ok := o.Get("dicom.manufacturer"); ok && o.SrcPort == 11112 {
				t.Errorf("%s: identity attributed to the SCP", ae)
			}
		}
		if got := value(a, "dicom.role"); strings.Join(got, ",") != "SCU,SCP" {
			t.Errorf("%s: roles %v", ae, got)
		}
		if !has(value(a, "dicom.abstract_syntax"), "1.2.840.10008.5.1.4.1.1.2 CT Image Storage") {
			t.Errorf("%s: CT Image Storage not among proposed SOP classes", ae)
		}
		if got := value(a, "dicom.implementation_version_name"); len(got) == 0 || !strings.HasPrefix(got[0], "OFFIS_DCMTK") {
			t.Errorf("%s: implementation version %v", ae, got)
		}
		if got := value(a, "dicom.result"); !has(got, "accepted") {
			t.Errorf("%s: result %v", ae, got)
		}
	}
	bulkObs := find("LIVEBULK")
	if got := value(bulkObs, "dicom.associations"); len(got) != 1 {
		t.Errorf("bulk: usage %v", got)
	}
	// Inspection stops after the first dataset's identity: the count is a
	// lower bound of the three C-STOREs sent.
	if got := value(bulkObs, "dicom.stores"); len(got) != 1 || got[0] != "1" {
		t.Errorf("bulk: stores %v, want [1]", got)
	}
	findObs := find("LIVEFIND")
	if len(value(findObs, "dicom.pdu")) == 0 {
		t.Errorf("find: no PDU observations")
	}
	medtest.AssertNoCanary(t, obs, nil, liveCanaries...)
	total := stats.BytesInspected + stats.BytesSkipped
	t.Logf("associations %d, observations %d; TCP payload %d bytes: inspected %d (%.2f%%), skipped %d",
		len(byAssoc), len(obs), total, stats.BytesInspected, 100*float64(stats.BytesInspected)/float64(total), stats.BytesSkipped)
	if stats.BytesInspected*10 > total {
		t.Errorf("inspected %d of %d bytes: the bulk transfer was not skipped", stats.BytesInspected, total)
	}
}

// TestGDCMLive stores the same synthetic CT with GDCM's gdcmscu, a second
// DICOM implementation with its own encoder (its PDV layout, its
// implementation UID and version name), into dcmtk's storescp, and checks
// the association and the device identity as Ward's live capture read them.
func TestGDCMLive(t *testing.T) {
	needTools(t, "gdcmscu", "storescp", "dump2dcm", "unshare", "nsenter", "ip")
	dcm := liveCT(t, t.TempDir(), "ct", 8, 5000)

	ns := newNetns(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stopCapture := ns.start(ctx, t)
	received := t.TempDir()
	scp := ns.command(ctx, "storescp", "-aet", "GDCMPACS", "-od", received, "11112")
	if err := scp.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = scp.Process.Kill(); _ = scp.Wait() }()
	ns.waitListening(ctx, t, 11112)
	// gdcmscu 3.0.21 aborts while closing after a successful exchange
	// ("ProtocolStream as nullptr"): what was sent is judged by storescp and
	// by the capture, not by its exit status.
	peer := []string{"--call", "GDCMPACS", "127.0.0.1", "11112"}
	_, _ = ns.command(ctx, "gdcmscu", append([]string{"--echo", "--aetitle", "GDCMECHO"}, peer...)...).CombinedOutput()
	const store = "GDCMSTORE"
	out, _ := ns.command(ctx, "gdcmscu", append([]string{"--store", "--aetitle", store}, append(peer, dcm)...)...).CombinedOutput()
	time.Sleep(500 * time.Millisecond)
	obs, _ := stopCapture()
	if files, _ := os.ReadDir(received); len(files) != 1 {
		t.Fatalf("storescp received %d files; gdcmscu said:\n%s", len(files), out)
	}

	got := map[string]map[string][]string{} // calling AE -> key -> values
	ae := map[uint16]string{}
	for _, o := range obs {
		if v, ok := o.Get("dicom.calling_ae"); ok && o.DstPort == 11112 {
			ae[o.SrcPort] = v
		}
	}
	for _, o := range obs {
		client := o.SrcPort
		if client == 11112 {
			client = o.DstPort
		}
		a := ae[client]
		if got[a] == nil {
			got[a] = map[string][]string{}
		}
		for _, f := range o.Fields {
			got[a][f.Key] = append(got[a][f.Key], f.Value)
		}
	}
	one := func(a, key, want string) {
		t.Helper()
		if vs := got[a][key]; !slices.Contains(vs, want) {
			t.Errorf("%s: %s = %v, want %q among them", a, key, vs, want)
		}
	}
	for _, a := range []string{"GDCMECHO", store} {
		one(a, "dicom.implementation_version_name", "GDCM 3.0.21")
		one(a, "dicom.pdu", "associate-rq")
		one(a, "dicom.result", "accepted")
		if uids := got[a]["dicom.implementation_class_uid"]; len(uids) == 0 || !strings.HasPrefix(uids[0], "1.2.826.0.1.3680043.2.1143.") {
			t.Errorf("%s: implementation class UIDs %v, want GDCM's root first", a, uids)
		}
	}
	one("GDCMECHO", "dicom.command", "C-ECHO-RQ")
	one("GDCMECHO", "dicom.command", "C-ECHO-RSP")
	one(store, "dicom.command", "C-STORE-RQ")
	one(store, "dicom.abstract_syntax", "1.2.840.10008.5.1.4.1.1.2 CT Image Storage")
	for k, w := range map[string]string{
		"dicom.modality": "CT", "dicom.manufacturer": "Acme Imaging", "dicom.institution": "Live Test Hospital",
		"dicom.station_name": "CTLIVE1", "dicom.model": "CT-X 128", "dicom.serial": "ACM-CT-0007",
		"dicom.software_versions": `VA10\SP2`, "dicom.stores": "1",
	} {
		if vs := got[store][k]; len(vs) != 1 || vs[0] != w {
			t.Errorf("%s: %s = %v, want [%s]", store, k, vs, w)
		}
	}
	medtest.AssertNoCanary(t, obs, nil, liveCanaries...)
}
