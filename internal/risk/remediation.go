package risk

import (
	"strings"

	"github.com/wardiomt/ward/internal/vuln"
)

// Option kinds, classified from the text (CISA files sometimes put a
// workaround under vendor_fix and the other way round).
const (
	OptionFix        = "vendor_fix"     // update, upgrade, patch to a fixed version
	OptionWorkaround = "workaround"     // configuration a site can do: disable, block, restrict
	OptionContact    = "contact_vendor" // call the manufacturer or service
	OptionNoFix      = "no_fix"         // the vendor will not or cannot fix it
	OptionGeneral    = "general_advice" // generic defense-in-depth boilerplate
)

// Option is one remediation sentence of a finding, in publication order.
type Option struct {
	Kind         string `json:"kind"`
	Category     string `json:"category"` // as published
	Text         string `json:"text"`
	URL          string `json:"url,omitempty"`
	FixedVersion string `json:"fixed_version,omitempty"`
}

var (
	bulletRe   = lazyRegexp(`\s*(?:\n+|[•▪◦●])\s*`)
	dashRe     = lazyRegexp(`\s-\s+([A-Z])`)
	sentenceRe = lazyRegexp(`([.;!?])\s+([A-Z])`)
	fixedRe    = lazyRegexp(`(?i)(?:(?:update|upgrade|patch|migrate)\s+(?:\w+\s+){0,4}?to\s+(?:version\s+|v\.?\s*|firmware\s+|software\s+|release\s+)?|(?:version|v\.|firmware|release)\s+)([0-9][0-9A-Za-z._\-]*[0-9A-Za-z])(?:\s*(?:or|and)\s+(?:later|higher|newer|above))?`)
	// A fix is an action that changes the product's software: update or
	// upgrade to something, a released update or version, an installed patch.
	fixKW     = lazyRegexp(`(?i)\b(?:(?:updated?|upgraded?|migrated?|patch)\s+(?:[\w.'-]+\s+){0,8}?to\b|upgrade\b|(?:released?|published|available|provides?|issued)\b.{0,60}\b(?:updates?|versions?|patch(?:es)?|firmware|fix(?:es)?|hotfix)\b|(?:apply|install)\b.{0,40}\b(?:updates?|patch(?:es)?|firmware|hotfix|service pack|fix(?:es)?|versions?|KB\d+|MS\d\d-\d+)\b|(?:fixed|patched|addressed|resolved|remediated) in\b|\bhotfix|KB\d{6,}|new version|fixed (?:versions?|releases?|firmware|software)|software updates?\b.{0,80}\b(?:in process|planned|address)|security (?:update|patch|release))`)
	workKW    = lazyRegexp(`(?i)\b(disable|turn off|block|restrict|firewall|isolat|segment|vlan|allow[- ]?list|whitelist|acl|access control list|do not connect|disconnect|close port|limit (?:network )?access|ensure .* not accessible|change (?:the )?default|password|multi-?factor|monitor (?:for|network|traffic|and)|workarounds?|mitigations?|compensating controls?)`)
	contactKW = lazyRegexp(`(?i)\b(contact|call|reach out to|customer (?:service|support)|technical support|service representative)\b`)
	noFixKW   = lazyRegexp(`(?i)\b(no (?:fix|patch|update) (?:is|will be)|will not (?:be )?(?:fix|patch|update|release)|end[- ]of[- ](?:life|support)|no longer supported|does not plan to)`)
	generalKW = lazyRegexp(`(?i)\b(CISA recommends|defense-in-depth|minimize network exposure|locate control system networks|when remote access is required|VPNs may have vulnerabilities|impact analysis and risk assessment|social engineering|unsolicited email|report suspected malicious activity)`)
)

// splitSentences splits remediation text into sentences and lost bullets.
func splitSentences(text string) []string {
	var out []string
	text = dashRe().ReplaceAllString(text, "\n$1")
	for _, chunk := range bulletRe().Split(text, -1) {
		chunk = sentenceRe().ReplaceAllString(chunk, "$1\x00$2")
		for _, s := range strings.Split(chunk, "\x00") {
			if s = strings.Join(strings.Fields(s), " "); len(s) > 2 {
				out = append(out, s)
			}
		}
	}
	return out
}

var recommendRe = lazyRegexp(`(?i)\b(recommend|should|ensure|advise)`)

// classify names what a sentence asks for.
func classify(s string) string {
	k, _ := classifyOwn(s)
	return k
}

// classifyOwn also says whether the sentence itself names its kind
// (false: nothing recognized, general advice by default).
func classifyOwn(s string) (string, bool) {
	k := classifyWords(s)
	return cmpOr(k, OptionGeneral), k != ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func classifyWords(s string) string {
	switch {
	case noFixKW().MatchString(s):
		return OptionNoFix
	case generalKW().MatchString(s):
		return OptionGeneral
	case fixKW().MatchString(s) && (!workKW().MatchString(s) || fixKW().FindStringIndex(s)[0] < workKW().FindStringIndex(s)[0]):
		// "Install update X and disable SMBv1": the fix comes first.
		return OptionFix
	case workKW().MatchString(s):
		return OptionWorkaround
	case contactKW().MatchString(s):
		return OptionContact
	case fixKW().MatchString(s):
		return OptionFix
	}
	return ""
}

// fixedVersion extracts "update to version 3.2.1 or later" -> "3.2.1".
func fixedVersion(s string) string {
	if !fixKW().MatchString(s) {
		return ""
	}
	if m := fixedRe().FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// options lists a finding's remediations sentence by sentence, classified.
// A lead-in ending in ":" ("Baxter recommends the following workarounds:")
// lends its kind to the list items after it that name no kind of their own.
func options(f *vuln.Finding) []Option {
	out := []Option{}
	// CSAF files often give each list item its own remediation object, so
	// the lead-in's kind carries across objects of the same category until a
	// sentence names its own.
	lead, cat := "", ""
	for _, r := range f.Remediations {
		if r.Category != cat {
			lead, cat = "", r.Category
		}
		for _, s := range splitSentences(r.Text) {
			kind, own := classifyOwn(s)
			switch {
			case strings.HasSuffix(s, ":"):
				if !own && recommendRe().MatchString(s) {
					kind = OptionWorkaround // "users should ensure:" introduces measures to take
				}
				lead = kind
			case own:
				lead = ""
			case lead != "":
				kind = lead
			}
			o := Option{Kind: kind, Category: r.Category, Text: s, URL: r.URL}
			if o.Kind == OptionFix {
				o.FixedVersion = fixedVersion(s)
				if !own && o.FixedVersion == "" {
					// A list item under "fixed in the following versions:".
					if m := fixedRe().FindStringSubmatch(s); m != nil {
						o.FixedVersion = m[1]
					}
				}
			}
			out = append(out, o)
		}
	}
	return out
}

// hasFix reports whether some option is a vendor fix.
func hasFix(os []Option) bool {
	for _, o := range os {
		if o.Kind == OptionFix {
			return true
		}
	}
	return false
}
