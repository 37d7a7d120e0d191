// Command gen regenerates internal/oui/table.tsv from Debian's ieee-data
// (apt-get install ieee-data): go generate ./internal/oui
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/wardiomt/ward/internal/oui"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "oui gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fl.String("dir", "/usr/share/ieee-data", "directory holding oui.csv (and optionally mam.csv, oui36.csv, iab.csv)")
	out := fl.String("out", "table.tsv", "output file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	srcs, closeAll, err := oui.OpenSources(*dir)
	if err != nil {
		return err
	}
	defer closeAll()
	var buf bytes.Buffer
	if err := oui.Generate(&buf, srcs...); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	return nil
}
