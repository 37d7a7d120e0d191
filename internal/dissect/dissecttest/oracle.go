package dissecttest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// ReadOracle reads one of tshark's field dumps: frame number -> field ->
// occurrences. The first column is the frame number. tshark joined repeated
// fields with "§", which the dump holds either whole or as its lone first
// byte 0xC2 (tshark 4.0).
func ReadOracle(t testing.TB, path string) map[int]map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("oracle %s: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var hdr []string
	out := map[int]map[string][]string{}
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if hdr == nil {
			hdr = cols
			continue
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("oracle %s: frame number %q", path, cols[0])
		}
		row := map[string][]string{}
		for i, c := range cols {
			if c == "" || i >= len(hdr) {
				continue
			}
			c = strings.ReplaceAll(c, "§", "\xc2")
			row[hdr[i]] = strings.Split(c, "\xc2")
		}
		out[n] = row
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Oracle reads the dump of the capture at capturePath, a capture one
// directory deep in the shared pcaps: <pcaps>/oracle/<dir>__<file>.tsv.
func Oracle(t testing.TB, capturePath string) map[int]map[string][]string {
	t.Helper()
	dir := filepath.Dir(capturePath)
	name := filepath.Base(dir) + "__" + filepath.Base(capturePath) + ".tsv"
	return ReadOracle(t, filepath.Join(filepath.Dir(dir), "oracle", name))
}

// OracleName is how make-oracle.sh names the dump of the capture at rel
// (slash-separated, relative to the shared pcaps): the first directory,
// "__", then the rest with "/" turned into "_". The dump is
// <pcaps>/oracle/<name>.tsv.
func OracleName(rel string) string {
	name := strings.ReplaceAll(rel, "/", "_")
	if i := strings.IndexByte(rel, '/'); i >= 0 {
		name = rel[:i] + "__" + strings.ReplaceAll(rel[i+1:], "/", "_")
	}
	return name
}

// OracleRows reads the dump of the shared capture rel under the pcaps
// directory data.
func OracleRows(t testing.TB, data, rel string) map[int]map[string][]string {
	t.Helper()
	return ReadOracle(t, filepath.Join(data, "oracle", OracleName(rel)+".tsv"))
}

// Inventory lists the shared captures (relative to data) whose protocols
// column in INVENTORY.tsv mentions any of protos.
func Inventory(t testing.TB, data string, protos ...string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "INVENTORY.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		cols := strings.Split(line, "\t")
		if i == 0 || len(cols) < 5 {
			continue
		}
		for _, p := range strings.Split(cols[4], ",") {
			for _, want := range protos {
				if p == want {
					out = append(out, cols[0])
					goto next
				}
			}
		}
	next:
	}
	return out
}
