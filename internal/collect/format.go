package collect

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// num writes a figure for a message as a statistician reads it: thousands
// separated by commas, at most two decimals (four below 1).
func msgNum(x float64) string {
	prec := 2
	if math.Abs(x) < 1 {
		prec = 4
	}
	return msgGroup(msgTrimZeros(strconv.FormatFloat(x, 'f', prec, 64)))
}

// exact writes a figure with all its decimals, for messages about the
// decimals themselves.
func msgExact(x float64) string { return msgGroup(strconv.FormatFloat(x, 'f', -1, 64)) }

// msgTrimZeros drops the zero decimals at the end of a formatted number.
func msgTrimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// msgTwoApart writes two figures that differ with as many decimals as show
// the difference (at least two, at most six).
func msgTwoApart(a, b float64) (string, string) {
	for prec := 2; ; prec++ {
		sa, sb := strconv.FormatFloat(a, 'f', prec, 64), strconv.FormatFloat(b, 'f', prec, 64)
		if sa != sb || prec == 6 {
			return msgGroup(sa), msgGroup(sb)
		}
	}
}

// group separates the thousands of a formatted number with commas.
func msgGroup(s string) string {
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// msgYears writes years as ranges: "2019–2022", "2015, 2017–2019 and 2021".
func msgYears(years []int) string {
	var parts []string
	for i := 0; i < len(years); {
		j := i
		for j+1 < len(years) && years[j+1] == years[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(years[i]))
		} else {
			parts = append(parts, strconv.Itoa(years[i])+"–"+strconv.Itoa(years[j]))
		}
		i = j + 1
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// msgUpperFirst capitalizes a message that starts without a cell's name.
func msgUpperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
