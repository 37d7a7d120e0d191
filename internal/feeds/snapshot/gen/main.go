// Command gen writes internal/feeds/snapshot/data/snapshot.json.gz from the
// shared feed folder (see package build).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wardiomt/ward/internal/feeds/snapshot/build"
)

func main() {
	data := flag.String("data", "../shared/data/feeds", "shared feeds folder")
	out := flag.String("out", "internal/feeds/snapshot/data/snapshot.json.gz", "output file")
	flag.Parse()
	b, summary, err := build.Build(*data)
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Println(summary)
}
