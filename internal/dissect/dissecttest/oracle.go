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
