package collect

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
)

// csvRecords splits a CSV file into records exactly as encoding/csv reads
// it by default (fields separated by one byte, quoted fields with "" for a
// quote and line breaks inside, \r\n read as \n, empty lines skipped, the
// number of fields set by the first record), and reports the same errors
// (*csv.ParseError with csv.ErrQuote, csv.ErrBareQuote, csv.ErrFieldCount).
// It differs in one way: the fields are byte slices into its buffers,
// valid until the next call, so that a large upload is read without a
// string per line. FuzzCSVRecords holds it to encoding/csv.
type csvRecords struct {
	br      *bufio.Reader
	sep     byte
	numLine int // lines read so far
	line    int // the line the last record starts on
	fields  [][]byte
	ends    []int  // ends of the fields in record, for a record with quotes
	record  []byte // the fields of a record with quotes, unquoted
	long    []byte // a line longer than the buffer of br
	width   int    // fields per record; 0 until the first record
}

func newCSVRecords(br *bufio.Reader, sep byte) *csvRecords {
	return &csvRecords{br: br, sep: sep}
}

// readLine reads a line, its \r\n made \n, as encoding/csv does.
func (rr *csvRecords) readLine() ([]byte, error) {
	line, err := rr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		rr.long = append(rr.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = rr.br.ReadSlice('\n')
			rr.long = append(rr.long, line...)
		}
		line = rr.long
	}
	if len(line) > 0 && err == io.EOF {
		err = nil
		if line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
	}
	rr.numLine++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// lengthNL is 1 if the line ends with a line feed.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// read returns the next record, or io.EOF after the last. With
// csv.ErrFieldCount the record is returned too.
func (rr *csvRecords) read() ([][]byte, error) {
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = rr.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // an empty line
		}
		break
	}
	if errRead == io.EOF {
		return nil, errRead
	}
	rr.line = rr.numLine
	var err error
	if bytes.IndexByte(line, '"') < 0 {
		// No quote: the fields are the line's, split at the separator.
		rr.fields = rr.fields[:0]
		line = line[:len(line)-lengthNL(line)]
		for {
			i := bytes.IndexByte(line, rr.sep)
			if i < 0 {
				rr.fields = append(rr.fields, line)
				break
			}
			rr.fields = append(rr.fields, line[:i])
			line = line[i+1:]
		}
	} else {
		err = rr.quoted(line, errRead)
	}
	if err == nil {
		err = errRead
	}
	if rr.width == 0 {
		rr.width = len(rr.fields)
	} else if len(rr.fields) != rr.width && err == nil {
		err = &csv.ParseError{StartLine: rr.line, Line: rr.line, Column: 1, Err: csv.ErrFieldCount}
	}
	return rr.fields, err
}

// quoted reads a record with quotes, which may go on over several lines,
// as encoding/csv does (Reader.readRecord, without its options).
func (rr *csvRecords) quoted(line []byte, errRead error) error {
	rr.record, rr.ends = rr.record[:0], rr.ends[:0]
	col, lineNo := 1, rr.numLine
	var err error
field:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, rr.sep)
			f := line
			if i >= 0 {
				f = f[:i]
			} else {
				f = f[:len(f)-lengthNL(f)]
			}
			if j := bytes.IndexByte(f, '"'); j >= 0 {
				err = &csv.ParseError{StartLine: rr.line, Line: rr.numLine, Column: col + j, Err: csv.ErrBareQuote}
				break field
			}
			rr.record = append(rr.record, f...)
			rr.ends = append(rr.ends, len(rr.record))
			if i >= 0 {
				line = line[i+1:]
				col += i + 1
				continue field
			}
			break field
		}
		line = line[1:]
		col++
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				rr.record = append(rr.record, line[:i]...)
				line = line[i+1:]
				col += i + 1
				switch {
				case len(line) > 0 && line[0] == '"':
					rr.record = append(rr.record, '"')
					line = line[1:]
					col++
				case len(line) > 0 && line[0] == rr.sep:
					line = line[1:]
					col++
					rr.ends = append(rr.ends, len(rr.record))
					continue field
				case lengthNL(line) == len(line):
					rr.ends = append(rr.ends, len(rr.record))
					break field
				default:
					err = &csv.ParseError{StartLine: rr.line, Line: rr.numLine, Column: col - 1, Err: csv.ErrQuote}
					break field
				}
			case len(line) > 0:
				rr.record = append(rr.record, line...)
				if errRead != nil {
					break field
				}
				col += len(line)
				line, errRead = rr.readLine()
				if len(line) > 0 {
					lineNo++
					col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				if errRead == nil {
					err = &csv.ParseError{StartLine: rr.line, Line: lineNo, Column: col, Err: csv.ErrQuote}
					break field
				}
				rr.ends = append(rr.ends, len(rr.record))
				break field
			}
		}
	}
	rr.fields = rr.fields[:0]
	start := 0
	for _, end := range rr.ends {
		rr.fields = append(rr.fields, rr.record[start:end])
		start = end
	}
	if err == nil {
		err = errRead
	}
	return err
}
