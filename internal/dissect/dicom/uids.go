package dicom

// sopClasses names the SOP classes (PS3.4 / PS3.6 Annex A) a hospital sensor
// commonly hears: verification, storage of each modality's images, query and
// retrieve, worklist, MPPS, storage commitment, print. Unknown UIDs are
// emitted bare.
var sopClasses = map[string]string{
	"1.2.840.10008.1.1":                "Verification",
	"1.2.840.10008.1.20.1":             "Storage Commitment Push Model",
	"1.2.840.10008.1.9":                "Basic Study Content Notification",
	"1.2.840.10008.3.1.2.3.3":          "Modality Performed Procedure Step",
	"1.2.840.10008.3.1.2.3.4":          "Modality Performed Procedure Step Retrieve",
	"1.2.840.10008.3.1.2.3.5":          "Modality Performed Procedure Step Notification",
	"1.2.840.10008.5.1.1.1":            "Basic Film Session",
	"1.2.840.10008.5.1.1.2":            "Basic Film Box",
	"1.2.840.10008.5.1.1.4":            "Basic Grayscale Image Box",
	"1.2.840.10008.5.1.1.9":            "Basic Grayscale Print Management Meta",
	"1.2.840.10008.5.1.1.14":           "Print Job",
	"1.2.840.10008.5.1.1.16":           "Printer",
	"1.2.840.10008.5.1.1.18":           "Basic Color Print Management Meta",
	"1.2.840.10008.5.1.4.1.1.1":        "Computed Radiography Image Storage",
	"1.2.840.10008.5.1.4.1.1.1.1":      "Digital X-Ray Image Storage - For Presentation",
	"1.2.840.10008.5.1.4.1.1.1.1.1":    "Digital X-Ray Image Storage - For Processing",
	"1.2.840.10008.5.1.4.1.1.1.2":      "Digital Mammography X-Ray Image Storage - For Presentation",
	"1.2.840.10008.5.1.4.1.1.1.2.1":    "Digital Mammography X-Ray Image Storage - For Processing",
	"1.2.840.10008.5.1.4.1.1.1.3":      "Digital Intra-Oral X-Ray Image Storage - For Presentation",
	"1.2.840.10008.5.1.4.1.1.2":        "CT Image Storage",
	"1.2.840.10008.5.1.4.1.1.2.1":      "Enhanced CT Image Storage",
	"1.2.840.10008.5.1.4.1.1.3.1":      "Ultrasound Multi-frame Image Storage",
	"1.2.840.10008.5.1.4.1.1.4":        "MR Image Storage",
	"1.2.840.10008.5.1.4.1.1.4.1":      "Enhanced MR Image Storage",
	"1.2.840.10008.5.1.4.1.1.4.2":      "MR Spectroscopy Storage",
	"1.2.840.10008.5.1.4.1.1.6.1":      "Ultrasound Image Storage",
	"1.2.840.10008.5.1.4.1.1.6.2":      "Enhanced US Volume Storage",
	"1.2.840.10008.5.1.4.1.1.7":        "Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.1":      "Multi-frame Single Bit Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.2":      "Multi-frame Grayscale Byte Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.3":      "Multi-frame Grayscale Word Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.4":      "Multi-frame True Color Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.9.1.1":    "12-lead ECG Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.1.2":    "General ECG Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.1.3":    "Ambulatory ECG Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.2.1":    "Hemodynamic Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.3.1":    "Cardiac Electrophysiology Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.11.1":     "Grayscale Softcopy Presentation State Storage",
	"1.2.840.10008.5.1.4.1.1.12.1":     "X-Ray Angiographic Image Storage",
	"1.2.840.10008.5.1.4.1.1.12.1.1":   "Enhanced XA Image Storage",
	"1.2.840.10008.5.1.4.1.1.12.2":     "X-Ray Radiofluoroscopic Image Storage",
	"1.2.840.10008.5.1.4.1.1.13.1.1":   "X-Ray 3D Angiographic Image Storage",
	"1.2.840.10008.5.1.4.1.1.13.1.3":   "Breast Tomosynthesis Image Storage",
	"1.2.840.10008.5.1.4.1.1.20":       "Nuclear Medicine Image Storage",
	"1.2.840.10008.5.1.4.1.1.66":       "Raw Data Storage",
	"1.2.840.10008.5.1.4.1.1.66.1":     "Spatial Registration Storage",
	"1.2.840.10008.5.1.4.1.1.66.4":     "Segmentation Storage",
	"1.2.840.10008.5.1.4.1.1.67":       "Real World Value Mapping Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.1":   "VL Endoscopic Image Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.2":   "VL Microscopic Image Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.4":   "VL Photographic Image Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.5.1": "Ophthalmic Photography 8 Bit Image Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.5.4": "Ophthalmic Tomography Image Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.6":   "VL Whole Slide Microscopy Image Storage",
	"1.2.840.10008.5.1.4.1.1.88.11":    "Basic Text SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.22":    "Enhanced SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.33":    "Comprehensive SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.59":    "Key Object Selection Document Storage",
	"1.2.840.10008.5.1.4.1.1.88.67":    "X-Ray Radiation Dose SR Storage",
	"1.2.840.10008.5.1.4.1.1.104.1":    "Encapsulated PDF Storage",
	"1.2.840.10008.5.1.4.1.1.128":      "Positron Emission Tomography Image Storage",
	"1.2.840.10008.5.1.4.1.1.130":      "Enhanced PET Image Storage",
	"1.2.840.10008.5.1.4.1.1.481.1":    "RT Image Storage",
	"1.2.840.10008.5.1.4.1.1.481.2":    "RT Dose Storage",
	"1.2.840.10008.5.1.4.1.1.481.3":    "RT Structure Set Storage",
	"1.2.840.10008.5.1.4.1.1.481.4":    "RT Beams Treatment Record Storage",
	"1.2.840.10008.5.1.4.1.1.481.5":    "RT Plan Storage",
	"1.2.840.10008.5.1.4.1.2.1.1":      "Patient Root Query/Retrieve Information Model - FIND",
	"1.2.840.10008.5.1.4.1.2.1.2":      "Patient Root Query/Retrieve Information Model - MOVE",
	"1.2.840.10008.5.1.4.1.2.1.3":      "Patient Root Query/Retrieve Information Model - GET",
	"1.2.840.10008.5.1.4.1.2.2.1":      "Study Root Query/Retrieve Information Model - FIND",
	"1.2.840.10008.5.1.4.1.2.2.2":      "Study Root Query/Retrieve Information Model - MOVE",
	"1.2.840.10008.5.1.4.1.2.2.3":      "Study Root Query/Retrieve Information Model - GET",
	"1.2.840.10008.5.1.4.31":           "Modality Worklist Information Model - FIND",
	"1.2.840.10008.5.1.4.33":           "Instance Availability Notification",
	"1.2.840.10008.5.1.4.34.6.1":       "Unified Procedure Step - Push",
	"1.2.840.10008.5.1.4.34.6.2":       "Unified Procedure Step - Watch",
	"1.2.840.10008.5.1.4.34.6.3":       "Unified Procedure Step - Pull",
	"1.2.840.10008.5.1.4.34.6.4":       "Unified Procedure Step - Event",
	"1.2.840.10008.5.1.4.34.6.5":       "Unified Procedure Step - Query",
	"1.2.840.10008.5.1.4.1.1.9.4.1":    "Basic Voice Audio Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.5.1":    "Arterial Pulse Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.6.1":    "Respiratory Waveform Storage",
}

// Transfer syntax UIDs this dissector decodes datasets in.
const (
	tsImplicitLE = "1.2.840.10008.1.2"
	tsExplicitLE = "1.2.840.10008.1.2.1"
	tsDeflatedLE = "1.2.840.10008.1.2.1.99"
	tsExplicitBE = "1.2.840.10008.1.2.2"
)

// transferSyntaxes names the common transfer syntaxes (PS3.5 Section 10 and Annex A).
// Encapsulated (compressed) ones keep the dataset itself in Explicit VR Little Endian.
var transferSyntaxes = map[string]string{
	tsImplicitLE:              "Implicit VR Little Endian",
	tsExplicitLE:              "Explicit VR Little Endian",
	tsDeflatedLE:              "Deflated Explicit VR Little Endian",
	tsExplicitBE:              "Explicit VR Big Endian",
	"1.2.840.10008.1.2.4.50":  "JPEG Baseline (Process 1)",
	"1.2.840.10008.1.2.4.51":  "JPEG Extended (Process 2 & 4)",
	"1.2.840.10008.1.2.4.57":  "JPEG Lossless, Non-Hierarchical (Process 14)",
	"1.2.840.10008.1.2.4.70":  "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
	"1.2.840.10008.1.2.4.80":  "JPEG-LS Lossless Image Compression",
	"1.2.840.10008.1.2.4.81":  "JPEG-LS Lossy (Near-Lossless) Image Compression",
	"1.2.840.10008.1.2.4.90":  "JPEG 2000 Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.4.91":  "JPEG 2000 Image Compression",
	"1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
	"1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile / Level 4.1",
	"1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.5":     "RLE Lossless",
}

// named formats "UID Name", or the bare UID when the table does not know it.
func named(table map[string]string, uid string) string {
	if n, ok := table[uid]; ok {
		return uid + " " + n
	}
	return uid
}

// dimseCommands maps the Command Field (0000,0100) to its PS3.7 name.
var dimseCommands = map[uint16]string{
	0x0001: "C-STORE-RQ", 0x8001: "C-STORE-RSP",
	0x0010: "C-GET-RQ", 0x8010: "C-GET-RSP",
	0x0020: "C-FIND-RQ", 0x8020: "C-FIND-RSP",
	0x0021: "C-MOVE-RQ", 0x8021: "C-MOVE-RSP",
	0x0030: "C-ECHO-RQ", 0x8030: "C-ECHO-RSP",
	0x0FFF: "C-CANCEL-RQ",
	0x0100: "N-EVENT-REPORT-RQ", 0x8100: "N-EVENT-REPORT-RSP",
	0x0110: "N-GET-RQ", 0x8110: "N-GET-RSP",
	0x0120: "N-SET-RQ", 0x8120: "N-SET-RSP",
	0x0130: "N-ACTION-RQ", 0x8130: "N-ACTION-RSP",
	0x0140: "N-CREATE-RQ", 0x8140: "N-CREATE-RSP",
	0x0150: "N-DELETE-RQ", 0x8150: "N-DELETE-RSP",
}
