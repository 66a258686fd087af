package sdmx

import (
	"bufio"
	"io"
	"unicode/utf8"
)

// xmlWriter writes XML as it goes, one element at a time, so that a message
// of any size streams. Its first write error sticks and is returned by
// flush.
type xmlWriter struct {
	w   *bufio.Writer
	err error
}

func newXMLWriter(w io.Writer) *xmlWriter {
	if bw, ok := w.(*bufio.Writer); ok {
		return &xmlWriter{w: bw}
	}
	return &xmlWriter{w: bufio.NewWriterSize(w, 32<<10)}
}

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

// esc writes s escaped for text or an attribute value: & < > " as
// entities, tabs and line breaks as character references (so that
// attribute values keep them), and characters XML cannot carry as U+FFFD.
func (x *xmlWriter) esc(s string) {
	if x.err != nil {
		return
	}
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"'
	}
	if plain {
		_, x.err = x.w.WriteString(s)
		return
	}
	for _, r := range s {
		var e string
		switch r {
		case '&':
			e = "&amp;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		case '"':
			e = "&quot;"
		case '\t':
			e = "&#9;"
		case '\n':
			e = "&#10;"
		case '\r':
			e = "&#13;"
		default:
			if !xmlChar(r) {
				r = utf8.RuneError
			}
			x.w.WriteRune(r)
			continue
		}
		x.w.WriteString(e)
	}
}

// xmlChar reports whether XML 1.0 allows the character (its Char production).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func (x *xmlWriter) declaration() { x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n") }

// open writes a start tag without ending it; attrs are name, value pairs.
func (x *xmlWriter) open(name string, attrs []string) {
	x.raw("<")
	x.raw(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.raw(" ")
		x.raw(attrs[i])
		x.raw(`="`)
		x.esc(attrs[i+1])
		x.raw(`"`)
	}
}

// start writes a start tag and a line break.
func (x *xmlWriter) start(name string, attrs ...string) {
	x.open(name, attrs)
	x.raw(">\n")
}

// end writes an end tag.
func (x *xmlWriter) end(name string) {
	x.raw("</")
	x.raw(name)
	x.raw(">\n")
}

// empty writes an element without content.
func (x *xmlWriter) empty(name string, attrs ...string) {
	x.open(name, attrs)
	x.raw("/>\n")
}

// text writes an element holding text.
func (x *xmlWriter) text(name, text string, attrs ...string) {
	x.open(name, attrs)
	x.raw(">")
	x.esc(text)
	x.raw("</")
	x.raw(name)
	x.raw(">\n")
}

// ref writes a reference: a wrapper element holding one unqualified Ref,
// with no white space between them, since some clients take the wrapper's
// first child to be the Ref.
func (x *xmlWriter) ref(wrapper string, attrs ...string) {
	x.open(wrapper, nil)
	x.raw(">")
	x.open("Ref", attrs)
	x.raw("/></")
	x.raw(wrapper)
	x.raw(">\n")
}

func (x *xmlWriter) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}
