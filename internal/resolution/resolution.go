// Package resolution gives the operative paragraphs of General Assembly
// resolution 68/193, which cpcj's modules serve and quote as "¶ N".
package resolution

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/data"
)

// Symbol is the resolution's document symbol.
const Symbol = "A/RES/68/193"

// Text holds the operative paragraphs by number.
type Text struct {
	Title      string
	paragraphs map[int]string
}

var (
	paraRe     = regexp.MustCompile(`^\t(\d{1,2})\.\t(.+)$`)
	titleRe    = regexp.MustCompile(`^68/193\.\t(.+)$`)
	footnoteRe = regexp.MustCompile(`([a-z,;)])(\d{1,2})([,;. ]|$)`)
)

// Load parses the shipped text.
func Load() (*Text, error) {
	b, err := data.FS.ReadFile("resolution/A-RES-68-193.txt")
	if err != nil {
		return nil, err
	}
	t := &Text{paragraphs: map[int]string{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		if m := titleRe.FindStringSubmatch(line); m != nil {
			t.Title = m[1]
		}
		if m := paraRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			if _, dup := t.paragraphs[n]; !dup {
				// Footnote markers are glued to words in the source
				// ("Protocols thereto1"); they mean nothing out of context.
				t.paragraphs[n] = footnoteRe.ReplaceAllString(m[2], "$1$3")
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(t.paragraphs) == 0 || t.Title == "" {
		return nil, fmt.Errorf("resolution text: no title or operative paragraphs found")
	}
	return t, nil
}

// Paragraph returns operative paragraph n, or "" if there is none.
func (t *Text) Paragraph(n int) string { return t.paragraphs[n] }

// Count returns the number of operative paragraphs.
func (t *Text) Count() int { return len(t.paragraphs) }
