package sbom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// spdxDoc is the SPDX 2.3 JSON document. Every field of the specification
// is declared so that DisallowUnknownFields rejects only what SPDX does not
// define; the ones Ward does not read stay raw.
type spdxDoc struct {
	Schema                     json.RawMessage `json:"$schema"`
	SPDXVersion                string          `json:"spdxVersion"`
	DataLicense                string          `json:"dataLicense"`
	SPDXID                     string          `json:"SPDXID"`
	Name                       string          `json:"name"`
	DocumentNamespace          string          `json:"documentNamespace"`
	CreationInfo               *spdxCreation   `json:"creationInfo"`
	ExternalDocumentRefs       json.RawMessage `json:"externalDocumentRefs"`
	DocumentDescribes          []string        `json:"documentDescribes"`
	Packages                   []spdxPackage   `json:"packages"`
	Files                      json.RawMessage `json:"files"`
	Snippets                   json.RawMessage `json:"snippets"`
	Relationships              json.RawMessage `json:"relationships"`
	Annotations                json.RawMessage `json:"annotations"`
	HasExtractedLicensingInfos json.RawMessage `json:"hasExtractedLicensingInfos"`
	Comment                    string          `json:"comment"`
}

type spdxCreation struct {
	Created            string   `json:"created"`
	Creators           []string `json:"creators"`
	LicenseListVersion string   `json:"licenseListVersion"`
	Comment            string   `json:"comment"`
}

type spdxPackage struct {
	SPDXID                  string          `json:"SPDXID"`
	Name                    string          `json:"name"`
	VersionInfo             string          `json:"versionInfo"`
	PackageFileName         string          `json:"packageFileName"`
	Supplier                string          `json:"supplier"`
	Originator              string          `json:"originator"`
	DownloadLocation        *string         `json:"downloadLocation"`
	FilesAnalyzed           *bool           `json:"filesAnalyzed"`
	PackageVerificationCode json.RawMessage `json:"packageVerificationCode"`
	Checksums               json.RawMessage `json:"checksums"`
	Homepage                string          `json:"homepage"`
	SourceInfo              string          `json:"sourceInfo"`
	LicenseConcluded        string          `json:"licenseConcluded"`
	LicenseInfoFromFiles    []string        `json:"licenseInfoFromFiles"`
	LicenseDeclared         string          `json:"licenseDeclared"`
	LicenseComments         string          `json:"licenseComments"`
	CopyrightText           string          `json:"copyrightText"`
	Summary                 string          `json:"summary"`
	Description             string          `json:"description"`
	Comment                 string          `json:"comment"`
	ExternalRefs            []spdxRef       `json:"externalRefs"`
	AttributionTexts        []string        `json:"attributionTexts"`
	PrimaryPackagePurpose   string          `json:"primaryPackagePurpose"`
	ReleaseDate             string          `json:"releaseDate"`
	BuiltDate               string          `json:"builtDate"`
	ValidUntilDate          string          `json:"validUntilDate"`
	Annotations             json.RawMessage `json:"annotations"`
	HasFiles                []string        `json:"hasFiles"`
}

type spdxRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
	Comment           string `json:"comment"`
}

func parseSPDX(b []byte) (*Document, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s spdxDoc
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: SPDX: %v", ErrMalformed, err)
	}
	if err := trailing(b); err != nil {
		return nil, fmt.Errorf("%w: SPDX: %v", ErrMalformed, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: SPDX: "+format, append([]any{ErrMalformed}, a...)...)
	}
	if s.SPDXVersion != "SPDX-2.3" {
		return nil, bad("spdxVersion %q: only SPDX-2.3 JSON is read", s.SPDXVersion)
	}
	switch {
	case s.DataLicense != "CC0-1.0":
		return nil, bad("dataLicense must be CC0-1.0, got %q", s.DataLicense)
	case s.SPDXID != "SPDXRef-DOCUMENT":
		return nil, bad("document SPDXID must be SPDXRef-DOCUMENT, got %q", s.SPDXID)
	case strings.TrimSpace(s.Name) == "":
		return nil, bad("document name missing")
	case strings.TrimSpace(s.DocumentNamespace) == "":
		return nil, bad("documentNamespace missing")
	case s.CreationInfo == nil || s.CreationInfo.Created == "" || len(s.CreationInfo.Creators) == 0:
		return nil, bad("creationInfo.created and creationInfo.creators are required")
	}
	d := &Document{Format: SPDX, Spec: s.SPDXVersion, Name: s.Name, Components: []Component{}}
	ids := map[string]bool{}
	for i, p := range s.Packages {
		path := fmt.Sprintf("packages[%d]", i)
		switch {
		case !strings.HasPrefix(p.SPDXID, "SPDXRef-"):
			return nil, bad("%s: SPDXID %q must start with SPDXRef-", path, p.SPDXID)
		case ids[p.SPDXID]:
			return nil, bad("%s: duplicate SPDXID %q", path, p.SPDXID)
		case strings.TrimSpace(p.Name) == "":
			return nil, bad("%s: package name missing", path)
		case p.DownloadLocation == nil:
			return nil, bad("%s (%s): downloadLocation is required", path, p.SPDXID)
		}
		ids[p.SPDXID] = true
		c := Component{Ref: p.SPDXID, Name: strings.TrimSpace(p.Name), Version: strings.TrimSpace(p.VersionInfo),
			Type: strings.ToLower(strings.ReplaceAll(p.PrimaryPackagePurpose, "_", "-"))}
		for _, who := range []string{p.Supplier, p.Originator} {
			if c.Supplier != "" {
				break
			}
			name, err := spdxAgent(who)
			if err != nil {
				return nil, bad("%s (%s): %v", path, p.SPDXID, err)
			}
			c.Supplier = name
		}
		for j, r := range p.ExternalRefs {
			cat := strings.ReplaceAll(strings.ToUpper(r.ReferenceCategory), "_", "-")
			switch cat {
			case "SECURITY", "PACKAGE-MANAGER", "PERSISTENT-ID", "OTHER":
			default:
				return nil, bad("%s.externalRefs[%d]: referenceCategory %q", path, j, r.ReferenceCategory)
			}
			if r.ReferenceType == "" || r.ReferenceLocator == "" {
				return nil, bad("%s.externalRefs[%d]: referenceType and referenceLocator are required", path, j)
			}
			switch r.ReferenceType {
			case "cpe23Type":
				setCPE(&c, r.ReferenceLocator)
			case "purl":
				setPURL(&c, r.ReferenceLocator)
			case "cpe22Type":
				c.Problems = append(c.Problems, fmt.Sprintf("CPE 2.2 name %q not used (CPE 2.3 expected)", r.ReferenceLocator))
			}
		}
		d.Components = append(d.Components, c)
	}
	return d, nil
}

// spdxAgent reads "Organization: X", "Person: X (mail)", "Tool: X" or NOASSERTION.
func spdxAgent(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "NOASSERTION" {
		return "", nil
	}
	kind, name, ok := strings.Cut(s, ":")
	if !ok {
		return "", fmt.Errorf("supplier/originator %q is not \"Organization: name\" or \"Person: name\"", s)
	}
	switch strings.TrimSpace(kind) {
	case "Organization", "Person", "Tool":
	default:
		return "", fmt.Errorf("supplier/originator kind %q unknown", kind)
	}
	name = strings.TrimSpace(name)
	if i := strings.Index(name, "("); i > 0 {
		name = strings.TrimSpace(name[:i])
	}
	return name, nil
}
