package export

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/wardiomt/ward/internal/cmms"
	"github.com/wardiomt/ward/internal/cmms/fhir"
)

// The CMMS formats are internal/cmms's own: the same records, columns and
// FHIR Device mapping as `ward cmms export` and the CMMS connectors.

func records(in *Input) []cmms.Record {
	recs := make([]cmms.Record, 0, len(in.Devices))
	for _, d := range sortedDevices(in.Devices) {
		recs = append(recs, cmms.NewRecord(d, in.AssetTags[d.ID]))
	}
	return recs
}

// WriteCSV writes the inventory as a CMMS asset import CSV (cmms.CSVFields).
func WriteCSV(w io.Writer, in *Input) error {
	if err := cmms.WriteCSV(w, records(in), nil); err != nil {
		return fmt.Errorf("export: CSV: %w", err)
	}
	return nil
}

// WriteFHIR writes the inventory as a FHIR R4 collection Bundle of Devices.
func WriteFHIR(w io.Writer, in *Input) error {
	recs := records(in)
	devs := make([]fhir.Device, 0, len(recs))
	for _, r := range recs {
		devs = append(devs, fhir.NewDevice(cmms.FHIRInfo(r, "")))
	}
	b, err := fhir.CollectionBundle(devs, in.At)
	if err != nil {
		return fmt.Errorf("export: FHIR bundle: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("export: FHIR bundle: %w", err)
	}
	return nil
}
