package collect

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// csvOracle reads a file with encoding/csv and with csvRecords, and says
// where they differ: records, record lines and errors must be the same.
func csvOracle(in []byte, sep byte, bufSize int) error {
	cr := csv.NewReader(bytes.NewReader(in))
	cr.Comma = rune(sep)
	rr := newCSVRecords(bufio.NewReaderSize(bytes.NewReader(in), bufSize), sep)
	for n := 1; ; n++ {
		want, werr := cr.Read()
		got, gerr := rr.read()
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			return fmt.Errorf("record %d: error %v, want %v", n, gerr, werr)
		}
		if errors.Is(werr, io.EOF) {
			return nil
		}
		var pe *csv.ParseError
		if werr != nil && !(errors.As(werr, &pe) && errors.Is(pe.Err, csv.ErrFieldCount)) {
			return nil // encoding/csv stops being defined here, and so does the upload
		}
		if len(got) != len(want) {
			return fmt.Errorf("record %d: %d fields %q, want %d %q", n, len(got), got, len(want), want)
		}
		for i := range want {
			if string(got[i]) != want[i] {
				return fmt.Errorf("record %d, field %d: %q, want %q", n, i, got[i], want[i])
			}
		}
		if line, _ := cr.FieldPos(0); line != rr.line {
			return fmt.Errorf("record %d: line %d, want %d", n, rr.line, line)
		}
	}
}

func TestCSVRecords(t *testing.T) {
	for _, in := range []string{
		"a,b,c\n1,2,3\n",
		"a,b,c\r\n1,2,3\r\n",
		"a,b\n\n\n1,2\n",
		"a,b\n1,2", // no line feed at the end
		"a,b\n1,2\r",
		"a,\"b,c\"\n\"1\",\"x\"\"y\"\n",
		"a,\"b\nc\"\n1,\"2\r\n3\"\n",
		"a,b\n1,\"2\n",      // a quote left open
		"a,b\n1,\"2\"x\n",   // text after a closing quote
		"a,b\n1,2\"x\n",     // a bare quote
		"a,b\n1,2,3\n4,5\n", // a record too long, then a good one
		"a,b\n1\n",
		",\n,\n",
		"\"\"\n\"\"\"\"\n",
		"a;b\n1;\"2;3\"\n",
		"a,b\n\"1\"\r\n\"x\r\"\n",
		strings.Repeat("x", 100) + "," + strings.Repeat("\"y\"\"\"", 40) + "\n",
	} {
		for _, sep := range []byte{',', ';'} {
			for _, size := range []int{16, 4096} {
				if err := csvOracle([]byte(in), sep, size); err != nil {
					t.Errorf("%q (separator %q, buffer %d): %v", in, sep, size, err)
				}
			}
		}
	}
}

// FuzzCSVRecords holds csvRecords to encoding/csv on any input.
func FuzzCSVRecords(f *testing.F) {
	f.Add([]byte("a,b,c\n1,\"2\n\"\"x\",3\r\n\n4,5,6"), byte(','), 16)
	f.Add([]byte("a;b\r\n\"1;2\";3\n"), byte(';'), 4096)
	f.Add([]byte("a\tb\n1\t\"\n"), byte('\t'), 16)
	f.Fuzz(func(t *testing.T, in []byte, sep byte, size int) {
		if sep != ',' && sep != ';' && sep != '\t' {
			sep = ','
		}
		size = 16 + size%4096
		if size < 16 {
			size = 16
		}
		if err := csvOracle(in, sep, size); err != nil {
			t.Fatal(err)
		}
	})
}
