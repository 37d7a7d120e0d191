package http

import (
	"bytes"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// maxDescription bounds the XML response bodies buffered to look for a
// device description; real ones are a few KiB.
const maxDescription = 32 << 10

// Device descriptions a device serves about itself: the UPnP description
// its SSDP LOCATION points to, and the WS-Discovery "devprof" metadata
// (ThisModel, ThisDevice) Windows fetches from WSD printers and scanners.
// Both name the maker, model and often the serial number and firmware.
var (
	upnpDevice = []byte("urn:schemas-upnp-org:device-1-0")
	wsdDevprof = []byte("/devprof")
	wsdModel   = []byte("ThisModel")
)

// descriptionFields are the elements kept, by format: element local name
// and observation key.
var (
	upnpFields = [...][2]string{
		{"manufacturer", "http.device_manufacturer"}, {"modelName", "http.device_model"},
		{"modelNumber", "http.device_model_number"}, {"serialNumber", "http.device_serial"},
		{"friendlyName", "http.device_name"},
	}
	wsdFields = [...][2]string{
		{"Manufacturer", "http.device_manufacturer"}, {"ModelName", "http.device_model"},
		{"ModelNumber", "http.device_model_number"}, {"SerialNumber", "http.device_serial"},
		{"FriendlyName", "http.device_name"}, {"FirmwareVersion", "http.device_firmware"},
	}
)

// description reads a 200 response's XML body. Only a UPnP device
// description or WSD device metadata is read, and only the elements above:
// other XML (SOAP services, FHIR resources) is not looked into.
func (s *stream) description(m *dissect.Meta, body []byte, e observe.Emitter) {
	var fields [][2]string
	format := ""
	switch {
	case bytes.Contains(body, upnpDevice):
		fields, format = upnpFields[:], "upnp"
	case bytes.Contains(body, wsdDevprof) && bytes.Contains(body, wsdModel):
		fields, format = wsdFields[:], "wsd"
	default:
		return
	}
	o := &s.sc.obs
	m.Fill(o, "http")
	o.Add("http.device_description", format)
	max := s.cfg.MaxValue
	for _, f := range fields {
		o.Add(f[1], s.sc.text(dissect.XMLText(body, f[0]), max))
	}
	e.Emit(o)
}
