package collect

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// csvFigure reads OBS_VALUE: a number with a decimal point (or, if the file
// is declared so, a decimal comma) and no thousands separator. It returns
// given false for an empty cell or NaN (a figure not available), and a
// reason, for people, when the text is not such a number.
func csvFigure(s string, decimalComma bool) (x float64, given bool, why string) {
	if s == "" || s == "NaN" {
		return 0, false, ""
	}
	t := s
	if decimalComma {
		switch {
		case strings.Contains(s, "."):
			return 0, false, fmt.Sprintf("%q has a point, but the file is declared to write decimals with a comma: write %s if the point separates thousands, or %s if it is the decimal mark",
				s, strings.ReplaceAll(s, ".", ""), strings.ReplaceAll(s, ".", ","))
		case strings.Count(s, ",") > 1:
			return 0, false, fmt.Sprintf("%q has more than one comma: write the figure with no thousands separator and one decimal comma", s)
		}
		t = strings.Replace(s, ",", ".", 1)
	}
	if csvPlainNumber(t) {
		x, err := strconv.ParseFloat(t, 64)
		if err == nil && !math.IsInf(x, 0) {
			return x, true, ""
		}
		return 0, false, fmt.Sprintf("%q is too large a number", s)
	}
	return 0, false, csvNotNumber(s, decimalComma)
}

// csvPlainNumber reports whether s is [+-]digits[.digits][e[+-]digits],
// the only form of number an upload takes (no hexadecimal, no Inf, no
// underscores, which strconv.ParseFloat would read).
func csvPlainNumber[T string | []byte](s T) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	n := digits()
	if i < len(s) && s[i] == '.' {
		i++
		n += digits()
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

var (
	// A number with thousands separated by commas, and perhaps decimals
	// after a point: 1,234 or 1,234,567.5.
	csvCommaThousands = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$`)
	// A number with a decimal comma: 12,5.
	csvCommaDecimal = regexp.MustCompile(`^[+-]?\d+,\d+$`)
	// A number with thousands separated by points: 1.234.567, or by
	// points and with a decimal comma: 1.234,5.
	csvPointThousands = regexp.MustCompile(`^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$`)
	// A number with thousands separated by spaces or apostrophes, as
	// French or Swiss writing does: 1 234, 1'234.
	csvSpaceThousands = regexp.MustCompile(`^[+-]?\d{1,3}([ \x{a0}\x{202f}'’]\d{3})+([.,]\d+)?$`)
)

// csvNotNumber says why OBS_VALUE is not a number, and how to write it.
func csvNotNumber(s string, decimalComma bool) string {
	bare := func(seps string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(seps, r) {
				return -1
			}
			return r
		}, s)
	}
	decimal := "a decimal point"
	if decimalComma {
		decimal = "a decimal comma"
	}
	switch {
	case csvSpaceThousands.MatchString(s):
		return fmt.Sprintf("%q has a thousands separator: write %s", s, bare(" \u00a0\u202f'’"))
	case decimalComma:
	case csvCommaThousands.MatchString(s) && strings.Count(s, ",") == 1 && !strings.Contains(s, "."):
		return fmt.Sprintf("%q is ambiguous: %s if the comma separates thousands, %s if it is a decimal comma; write the figure with no thousands separator and a decimal point",
			s, bare(","), strings.Replace(s, ",", ".", 1))
	case csvCommaThousands.MatchString(s):
		return fmt.Sprintf("%q has thousands separators: write %s", s, bare(","))
	case csvCommaDecimal.MatchString(s):
		return fmt.Sprintf("%q has a decimal comma: write %s, or declare that the file writes decimals with a comma", s, strings.Replace(s, ",", ".", 1))
	case csvPointThousands.MatchString(s):
		return fmt.Sprintf("%q has thousands separators: write %s, with no thousands separator and a decimal point", s, strings.Replace(bare("."), ",", ".", 1))
	}
	if !strings.ContainsAny(s, "0123456789") || strings.IndexFunc(s, unicode.IsLetter) >= 0 {
		return fmt.Sprintf("%q is not a number: OBS_VALUE takes a figure; leave it empty, with OBS_STATUS M, for a figure that is not available", s)
	}
	return fmt.Sprintf("%q is not a number: write the figure with digits, %s and no thousands separator", s, decimal)
}
