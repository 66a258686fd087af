package collect

import "testing"

func TestMessageFormats(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12400: "12,400", 1234567: "1,234,567",
		-1234: "-1,234", 6766.666: "6,766.67", 164.9366: "164.94", 0.05790339: "0.0579", -0.00001: "0", 1e15: "1,000,000,000,000,000"} {
		if got := msgNum(x); got != want {
			t.Errorf("msgNum(%v) = %q, want %q", x, got, want)
		}
	}
	if got := msgExact(1234.0001); got != "1,234.0001" {
		t.Errorf("msgExact: %q", got)
	}
	if a, b := msgTwoApart(164.9366, 164.9201); a != "164.94" || b != "164.92" {
		t.Errorf("two apart: %q %q", a, b)
	}
	if a, b := msgTwoApart(2.0001, 2.0004); a != "2.0001" || b != "2.0004" {
		t.Errorf("two apart, close: %q %q", a, b)
	}
	for want, years := range map[string][]int{"2022": {2022}, "2019–2022": {2019, 2020, 2021, 2022}, "2015 and 2017": {2015, 2017},
		"2013, 2015–2017 and 2020–2021": {2013, 2015, 2016, 2017, 2020, 2021}, "": nil} {
		if got := msgYears(years); got != want {
			t.Errorf("msgYears(%v) = %q, want %q", years, got, want)
		}
	}
}
