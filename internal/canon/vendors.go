package canon

import "strings"

// vendorAliases maps a canonical manufacturer name to the spellings seen in
// DICOM tags, HL7, OUI registrations, CSAF vendor branches and CPE vendors.
// Aliases are compared after Fold, so case, punctuation and legal suffixes don't matter.
var vendorAliases = map[string][]string{
	"GE HealthCare":         {"GE Healthcare", "GE MEDICAL SYSTEMS", "General Electric (GE)", "General Electric", "gehealthcare", "ge_healthcare", "GE Medical Systems Information Technologies", "GE Medical", "GE Healthcare Japan", "GEMS", "GE Vingmed Ultrasound", "Datex-Ohmeda", "GE"},
	"Philips":               {"Koninklijke Philips", "Koninklijke Philips N.V.", "Philips Healthcare", "Philips Medical Systems", "Philips Medical Systems Nederland", "Philips Electronics", "Philips Electronics Nederland", "Phillips"},
	"Siemens Healthineers":  {"Siemens Healthcare", "Siemens Medical Solutions", "SIEMENS", "Siemens Healthineers AG", "Siemens Medical", "Siemens Healthcare Diagnostics", "Siemens Healthcare Diagnostics Inc"},
	"BD":                    {"Becton Dickinson", "Becton, Dickinson and Company", "BD (Becton, Dickinson and Company)", "CareFusion", "Cardinal Health (CareFusion)", "Alaris", "Becton, Dickinson and Company (BD)", "Becton Dickinson & Co", "Becton Dickinson and Co"},
	"Baxter":                {"Baxter International", "Baxter Healthcare", "Hillrom", "Hill-Rom", "Welch Allyn", "Welch-Allyn"},
	"Medtronic":             {"Medtronic plc", "Covidien", "Medtronic MiniMed"},
	"B. Braun":              {"B. Braun Melsungen", "B.Braun", "BBraun", "B Braun Medical", "braun", "B. Braun Medical Inc", "B. Braun Melsungen AG"},
	"Fresenius Kabi":        {"Fresenius", "Fresenius Kabi AG"},
	"ICU Medical":           {"ICU Medical Inc", "Smiths Medical", "Hospira", "Smiths Group"},
	"Canon Medical Systems": {"Canon Medical", "Canon Medical Systems Corporation", "Toshiba Medical Systems", "TOSHIBA_MEC", "CANON_MEC", "Toshiba"},
	// Canon Inc. (printers, cameras) is a different company from Canon Medical Systems.
	"Canon":                      {"Canon Inc", "Canon Inc.", "CANON INC"},
	"FUJIFILM":                   {"FUJIFILM Corporation", "Fujifilm Medical Systems", "FUJI PHOTO FILM", "FUJIFILM Healthcare", "Hitachi Medical", "Hitachi"},
	"Carestream Health":          {"Carestream", "Kodak", "Eastman Kodak"},
	"Agfa HealthCare":            {"Agfa", "AGFA-Gevaert", "Agfa Gevaert"},
	"Hologic":                    {"Hologic Inc", "Lorad"},
	"Dräger":                     {"Draeger", "Drägerwerk", "Draegerwerk", "Drager", "Dräger Medical", "Draeger Medical"},
	"Mindray":                    {"Shenzhen Mindray", "Mindray Medical", "Shenzhen Mindray Bio-Medical Electronics"},
	"Nihon Kohden":               {"NIHON KOHDEN", "Nihon Kohden Corporation"},
	"Spacelabs Healthcare":       {"Spacelabs", "Spacelabs Medical", "OSI Systems"},
	"Masimo":                     {"Masimo Corporation"},
	"Hamilton Medical":           {"Hamilton"},
	"Abbott":                     {"Abbott Laboratories", "St. Jude Medical", "St Jude Medical", "Abbott Diagnostics", "Abbott Point of Care", "Abbott Diabetes Care", "i-STAT Corporation"},
	"Roche":                      {"Roche Diagnostics", "F. Hoffmann-La Roche", "Hoffmann-La Roche"},
	"Beckman Coulter":            {"Beckman", "Beckman Coulter Inc"},
	"Sysmex":                     {"Sysmex Corporation"},
	"Ortho Clinical Diagnostics": {"Ortho Clinical", "QuidelOrtho", "Ortho", "Ortho-Clinical Diagnostics", "Ortho Clinical Diagnostics Inc"},
	"Bio-Rad":                    {"Bio-Rad Laboratories", "BioRad"},
	"bioMérieux":                 {"bioMerieux", "BioMerieux SA", "bioMérieux SA", "bioMerieux Inc"},
	"DiaSorin":                   {"DiaSorin S.p.A.", "DiaSorin SpA"},
	"Radiometer":                 {"Radiometer Medical", "Radiometer Medical ApS", "Radiometer A/S"},
	"Nova Biomedical":            {"Nova Biomedical Corporation", "Nova Biomedical Corp", "NovaBiomedical"},
	"HemoCue":                    {"HemoCue AB", "HemoCue America"},
	"Werfen":                     {"Instrumentation Laboratory", "Werfen IL"},
	"Thermo Fisher Scientific":   {"Thermo Fisher", "Thermo Scientific", "ThermoFisher", "Phadia"},
	"Natus Medical":              {"Natus", "Natus Medical, Inc. (Natus)"},
	"Zoll Medical":               {"Zoll", "ZOLL Medical Corporation"},
	"Stryker":                    {"Stryker Corporation", "Physio-Control"},
	"Boston Scientific":          {"Boston Scientific Corporation"},
	"Biotronik":                  {"BIOTRONIK SE"},
	"Change Healthcare":          {"McKesson", "McKesson Medical Imaging"},
	"Ziehm Imaging":              {"Ziehm"},
	"Samsung Medison":            {"Samsung Healthcare", "Medison"},
	"Esaote":                     {"ESAOTE S.p.A."},
	"Shimadzu":                   {"Shimadzu Corporation"},
	"Konica Minolta":             {"Konica Minolta Healthcare", "KONICA MINOLTA"},
	"Vyaire Medical":             {"Vyaire", "CareFusion Respiratory"},
	"Getinge":                    {"Maquet", "MAQUET Critical Care", "Getinge AB"},
	"Olympus":                    {"Olympus Corporation", "Olympus Medical Systems"},
	"Karl Storz":                 {"KARL STORZ SE", "Storz"},
	"Elekta":                     {"Elekta AB", "IMPAC Medical Systems"},
	"Varian":                     {"Varian Medical Systems", "Siemens Healthineers Varian"},
	"Accuray":                    {"Accuray Incorporated"},
	"Illumina":                   {"Illumina Inc"},
	"Qualcomm Life":              {"Capsule Technologies", "Capsule Tech", "Philips Capsule"},
	"Moxa":                       {"Moxa Inc"},
	"Cisco":                      {"Cisco Systems", "ciscoSystems"},
	"Hewlett Packard Enterprise": {"HPE", "Aruba", "Aruba Networks", "Hewlett Packard Enterprise Company"},
	"HP":                         {"HP Inc", "Hewlett-Packard", "Hewlett Packard", "HP Inc."},
	"Microsoft":                  {"Microsoft Corporation", "Microsoft Corp"},
	"Dell":                       {"Dell Inc", "Dell Technologies"},
	"Lexmark":                    {"Lexmark International"},
	"Zebra Technologies":         {"Zebra"},
	"Polycom":                    {"Polycom Inc", "Poly"},
	"Avaya":                      {"Avaya Inc"},
	"Juniper Networks":           {"Juniper"},
	"Wind River":                 {"Wind River Systems"},
	"OFFIS":                      {"OFFIS e.V.", "DCMTK"},
	"Orthanc":                    {"Orthanc Server", "Osimis"},
	"Withings":                   {"Withings SA", "Nokia Health"},
	"Fitbit":                     {"Fitbit Inc"},
	"AliveCor":                   {"AliveCor Inc"},
	"Apple":                      {"Apple Inc", "Apple Computer"},
	"Samsung":                    {"Samsung Electronics"},
	"Espressif":                  {"Espressif Inc", "Espressif Systems"},
	"Raspberry Pi":               {"Raspberry Pi Foundation", "Raspberry Pi Trading"},
	"Intel":                      {"Intel Corporate", "Intel Corporation"},
	"Realtek":                    {"Realtek Semiconductor"},
	"VMware":                     {"VMware Inc"},
	"Xerox":                      {"Xerox Corporation"},
	"Brother":                    {"Brother Industries"},
	"Epson":                      {"Seiko Epson"},
	"Ricoh":                      {"Ricoh Company"},
	"Cerner":                     {"Oracle Health", "Oracle Cerner"},
	"Epic":                       {"Epic Systems"},
	"Sectra":                     {"Sectra AB"},
	"Merge Healthcare":           {"Merge", "IBM Watson Health"},
	"Medical Information Technology (MEDITECH)": {"MEDITECH"},
	"Silex Technology":                          {"silex"},
	"Lantronix":                                 {"Lantronix Inc"},
	"Digi International":                        {"Digi"},
	"Ypsomed":                                   {},
	"Insulet":                                   {"Insulet Corporation"},
	"Tandem Diabetes Care":                      {"Tandem"},
	"Dexcom":                                    {"DexCom Inc"},
	"Omron":                                     {"Omron Healthcare"},
	"ResMed":                                    {"ResMed Inc"},
	"Sonos":                                     {},
	"Google":                                    {"Google LLC", "Nest Labs"},
	"Amazon":                                    {"Amazon Technologies", "Amazon.com"},
	"Xiaomi":                                    {"Xiaomi Communications"},
	"TP-Link":                                   {"TP-LINK TECHNOLOGIES", "TP-Link Corporation"},
	"Contec Medical Systems":                    {"Contec Health", "CONTEC", "Contec Medical"},
	"SOOIL Developments":                        {"SOOIL", "SOOIL Developments Co, Ltd."},
	"Johnson & Johnson":                         {"Ethicon", "Ethicon Endo-Surgery", "Johnson and Johnson"},
	"Össur":                                     {"Ossur", "Ossur hf"},
	// Building automation (BACnet vendor-name properties, BACnet vendor
	// registrations, Modbus device identification). Brands whose advisories
	// are published under the parent's name join it; Hitachi and Toshiba
	// are not listed here because they fold to the medical businesses above.
	"Johnson Controls":   {"Johnson Controls Inc", "Johnson Controls International", "JCI", "Johnson Controls Building Automation"},
	"Honeywell":          {"Honeywell Inc", "Honeywell International", "Alerton", "Alerton / Honeywell", "Novar/Honeywell", "Honeywell Building Technologies"},
	"Schneider Electric": {"Schneider Electric SE", "Schneider Elektronik", "TAC", "TAC AB", "Andover Controls", "APC", "American Power Conversion", "APC by Schneider Electric"},
	"Trane":              {"The Trane Company", "Trane Technologies", "Trane Inc"},
	"Carrier":            {"United Technologies Carrier", "Carrier Corporation", "Carrier Global"},
	"Automated Logic":    {"Automated Logic Corporation", "ALC"},
	"Daikin":             {"Daikin Applied", "Daikin Applied Americas", "Daikin Industries", "McQuay"},
	"Vertiv":             {"Liebert", "Liebert Corporation", "Emerson Network Power", "Vertiv (Formerly Emerson Network Power)", "Avocent"},
	"Eaton":              {"Eaton Corporation", "Eaton Corp", "Eaton Electrical", "Powerware"},
	"ABB":                {"ABB Inc", "ABB Ltd", "ABB (Formerly American Auto-Matrix)", "American Auto-Matrix", "ABB (Formerly Cylon Controls, Ltd)", "Cylon Controls"},
	"Delta Controls":     {"Delta Controls Inc", "Delta Controls Integration Products"},
	"Distech Controls":   {"Distech Controls SAS", "Distech Controls Inc"},
	"Tridium":            {"Tridium Inc", "Niagara"},
	"KMC Controls":       {"KMC Controls Inc", "KMC"},
	"Reliable Controls":  {"Reliable Controls Corporation"},
	"Belimo":             {"BELIMO Automation AG", "BELIMO Automation"},
	"Phoenix Controls":   {"Phoenix Controls Corporation"},
	"TSI":                {"TSI Incorporated", "TSI Inc"},
	"Triatek":            {"TRIATEK, LLC", "Triatek LLC"},
	// The industrial groups that share a parent brand with a medical
	// manufacturer above: their own names, and where a bare "GE" or
	// "Siemens" in an advisory about non-medical products goes (Medical
	// below). Their canonical spellings must not fold to a medical alias.
	"GE (industrial)":      {"GE Digital", "GE Vernova", "GE Grid Solutions", "GE Multilin", "GE Intelligent Platforms", "GE Power", "GE Renewable Energy", "GE Automation & Controls", "GE Aviation", "GE Aerospace", "GE Energy"},
	"Siemens (industrial)": {"Siemens Industry", "Siemens Energy", "Siemens Mobility", "Siemens Digital Industries", "Siemens Digital Industries Software", "Siemens Smart Infrastructure", "Siemens Building Technologies", "Siemens Schweiz", "Siemens Schweiz AG (Formerly: Landis & Staefa Division Europe)", "Siemens Schweiz AG (Formerly: Cerberus AG)", "Landis & Staefa", "Landis & Gyr", "Cerberus", "Mentor Graphics", "Siemens PLM Software"},
}

// parentBrands are spellings that name a whole group rather than one
// business: in a hospital (a DICOM Manufacturer tag, an OUI) "GE" or
// "SIEMENS" is the medical manufacturer, but an advisory about relays or
// PLCs that names "Siemens" is about Siemens' industrial business. The
// value is that industrial canonical name.
var parentBrands = map[string]string{
	Fold("GE"):                    "GE (industrial)",
	Fold("General Electric"):      "GE (industrial)",
	Fold("General Electric (GE)"): "GE (industrial)",
	Fold("SIEMENS"):               "Siemens (industrial)",
}

// ParentBrand reports whether raw is such a group-wide spelling, and the
// industrial canonical name it stands for outside medical products.
func ParentBrand(raw string) (string, bool) {
	c, ok := parentBrands[Fold(raw)]
	return c, ok
}

// Manufacturer returns the canonical manufacturer for a raw spelling, and
// whether it was recognised. An unrecognised name comes back trimmed, as is:
// a name we don't know is still better evidence than none.
func (t *Table) Manufacturer(raw string) (string, bool) {
	k := Fold(raw)
	if k == "" {
		return "", false
	}
	if c, ok := t.alias[k]; ok {
		return c, true
	}
	return trimName(raw), false
}

// Table is an alias index built once and shared read-only.
type Table struct {
	alias map[string]string
}

// NewTable builds the alias index from the default table plus extra
// alias -> canonical entries (site config), which win over defaults.
func NewTable(extra map[string]string) *Table {
	t := &Table{alias: make(map[string]string, 512)}
	for canon := range vendorAliases {
		t.alias[Fold(canon)] = canon
	}
	// Aliases after canonical names, so an alias that equals another
	// entry's canonical spelling (Hillrom under Baxter) is decided here.
	for canon, aliases := range vendorAliases {
		for _, a := range aliases {
			t.alias[Fold(a)] = canon
		}
	}
	for a, c := range extra {
		t.alias[Fold(a)] = c
	}
	return t
}

// Canonicals lists every canonical manufacturer name.
func (t *Table) Canonicals() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range t.alias {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func trimName(s string) string {
	return strings.TrimSpace(strings.Trim(s, "\x00 "))
}
