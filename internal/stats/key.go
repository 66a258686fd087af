package stats

import (
	"fmt"
	"strings"
)

// ParseKey reads an SDMX key for a query: one part per dimension, in key
// order, joined by dots; a part is empty (any code) or codes joined by "+".
// "all" or an empty key selects everything. A "+" that a client or proxy
// turned into a space is read as "+".
func ParseKey(s string) ([10][]string, error) {
	var k [10][]string
	if s == "" || s == "all" || s == "ALL" {
		return k, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) != len(Dimensions) {
		return k, fmt.Errorf("the key %q has %d parts; it needs %d, one per dimension (%s), joined by dots, e.g. A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB", s, len(parts), len(Dimensions), dimensionList())
	}
	for i, p := range parts {
		if p == "" || p == "*" {
			continue
		}
		for _, c := range strings.FieldsFunc(p, func(r rune) bool { return r == '+' || r == ' ' }) {
			if !validCode(c) {
				return k, fmt.Errorf("the key %q has %q for %s: a code is letters, digits and _ - only", s, c, Dimensions[i].ID)
			}
			k[i] = append(k[i], c)
		}
	}
	return k, nil
}

func validCode(c string) bool {
	if c == "" || len(c) > 50 {
		return false
	}
	for _, r := range c {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

func dimensionList() string {
	ids := make([]string, len(Dimensions))
	for i, d := range Dimensions {
		ids[i] = d.ID
	}
	return strings.Join(ids, ", ")
}

// FormatKey writes a query key back in SDMX form.
func FormatKey(k [10][]string) string {
	parts := make([]string, len(k))
	for i, codes := range k {
		parts[i] = strings.Join(codes, "+")
	}
	return strings.Join(parts, ".")
}
