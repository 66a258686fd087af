// Package source reads the statistics cpcj ships and imports in the forms
// their producers publish them — the UNODC Global Study on Homicide 2013
// table, UN-CTS data portal exports, World Bank WDI series — and turns
// them into observations of cpcj's data structure, through mapping tables
// kept as data in the repository (data/crime-stats). A source category
// without a mapping is refused, never guessed.
package source

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
)

// The files of data/ this package reads, relative to the data folder.
const (
	Dir              = "crime-stats"
	CodelistInfoFile = Dir + "/codelist_info.csv"
	CodelistsFile    = Dir + "/codelists.csv"
	AreasFile        = Dir + "/areas.csv"
	AreaNamesFile    = Dir + "/area_names.csv"
	DataflowsFile    = Dir + "/dataflows.csv"
	MappingFile      = Dir + "/iccs_mapping.csv"
	FootnotesFile    = Dir + "/gsh_footnotes.csv"
	ParticipantsFile = "states/participants.csv"
	GSHFile          = Dir + "/unodc_gsh2013_homicide_count_rate_long.csv"
	CTSViolentFile   = Dir + "/unodc_cts_violent_and_sexual_crime.csv"
	CTSEconomicFile  = Dir + "/unodc_cts_corruption_and_economic_crime.csv"
	WDIFile          = Dir + "/wdi_homicide_rate_and_population_long.csv"
)

// Mapped is how one source category maps onto the data structure. An
// empty Flow means the category is deliberately not loaded; Note says why.
type Mapped struct {
	Flow, Indicator, ICCS, Cyber, Relationship string
	Verification, Note                         string
}

type mapKey struct{ source, indicator, dimension, category string }

// Reference is everything the readers map source rows with.
type Reference struct {
	mapping   map[mapKey]Mapped
	areas     map[string]bool              // codes of CL_AREA
	names     map[string]map[string]string // source → name or code → area code ("" = not loaded)
	notes     map[string]map[string]string // source → name → why it is not loaded
	footnotes map[string]footnote
	Codelists []stats.Codelist
	Dataflows []stats.Dataflow
}

type footnote struct {
	appliesTo string // "value" or "country"
	status    string
	years     map[int]bool // empty for every year
	comment   string
}

// LoadReference reads the structures and mapping tables from the data
// folder (the embedded data.FS, or a directory in tests).
func LoadReference(fsys fs.FS) (*Reference, error) {
	ref := &Reference{mapping: map[mapKey]Mapped{}, areas: map[string]bool{}, names: map[string]map[string]string{},
		notes: map[string]map[string]string{}, footnotes: map[string]footnote{}}
	steps := []struct {
		file string
		head string
		row  func(line int, rec []string) error
	}{
		{MappingFile, "source,indicator,dimension,category,flow,indicator_code,iccs,cyber,relationship,verification,note", ref.mappingRow},
		{AreaNamesFile, "source,name,code,note", ref.nameRow},
		{FootnotesFile, "marker,applies_to,obs_status,years,comment", ref.footnoteRow},
	}
	for _, s := range steps {
		if err := readTable(fsys, s.file, s.head, s.row); err != nil {
			return nil, err
		}
	}
	lists, err := readCodelists(fsys)
	if err != nil {
		return nil, err
	}
	area, err := readAreas(fsys)
	if err != nil {
		return nil, err
	}
	for _, c := range area.Codes {
		ref.areas[c.ID] = true
	}
	ref.Codelists = append(lists, area)
	if ref.Dataflows, err = readDataflows(fsys); err != nil {
		return nil, err
	}
	return ref, nil
}

// readTable reads a CSV table of the data folder, checking its header.
func readTable(fsys fs.FS, name, head string, row func(line int, rec []string) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	h, err := cr.Read()
	if err != nil {
		return fmt.Errorf("data/%s: %w", name, err)
	}
	if strings.Join(h, ",") != head {
		return fmt.Errorf("data/%s: the header is %q; want %q", name, strings.Join(h, ","), head)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("data/%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0) // after a good read, so that it cannot panic
		if err := row(line, rec); err != nil {
			return fmt.Errorf("data/%s line %d: %w", name, line, err)
		}
	}
}

func (ref *Reference) mappingRow(_ int, r []string) error {
	k := mapKey{r[0], r[1], r[2], r[3]}
	if _, dup := ref.mapping[k]; dup {
		return fmt.Errorf("%s %q %q %q is mapped twice", r[0], r[1], r[2], r[3])
	}
	m := Mapped{Flow: r[4], Indicator: r[5], ICCS: r[6], Cyber: r[7], Relationship: r[8], Verification: r[9], Note: r[10]}
	if m.Flow != "" && (m.Indicator == "" || m.ICCS == "" || m.Cyber == "" || m.Relationship == "" || m.Verification != "verified") {
		return fmt.Errorf("%q: a loaded category needs indicator, iccs, cyber and relationship codes and verification \"verified\"", r[3])
	}
	if m.Flow == "" && m.Note == "" {
		return fmt.Errorf("%q: a category that is not loaded needs a note saying why", r[3])
	}
	ref.mapping[k] = m
	return nil
}

func (ref *Reference) nameRow(_ int, r []string) error {
	if ref.names[r[0]] == nil {
		ref.names[r[0]], ref.notes[r[0]] = map[string]string{}, map[string]string{}
	}
	if _, dup := ref.names[r[0]][r[1]]; dup {
		return fmt.Errorf("%s name %q appears twice", r[0], r[1])
	}
	ref.names[r[0]][r[1]] = r[2]
	ref.notes[r[0]][r[1]] = r[3]
	return nil
}

func (ref *Reference) footnoteRow(_ int, r []string) error {
	fn := footnote{appliesTo: r[1], status: r[2], years: map[int]bool{}, comment: r[4]}
	if fn.appliesTo != "value" && fn.appliesTo != "country" {
		return fmt.Errorf("applies_to %q: want value or country", fn.appliesTo)
	}
	for _, y := range strings.Fields(strings.ReplaceAll(r[3], ";", " ")) {
		n, err := strconv.Atoi(y)
		if err != nil {
			return fmt.Errorf("years %q: %w", r[3], err)
		}
		fn.years[n] = true
	}
	ref.footnotes[r[0]] = fn
	return nil
}

// Lookup returns the mapping of a source category.
func (ref *Reference) Lookup(source, indicator, dimension, category string) (Mapped, bool) {
	m, ok := ref.mapping[mapKey{source, indicator, dimension, category}]
	return m, ok
}

// HasArea reports whether CL_AREA holds the code.
func (ref *Reference) HasArea(code string) bool { return ref.areas[code] }

// readCodelists reads every code list but CL_AREA, which is built from the
// participants and areas.csv.
func readCodelists(fsys fs.FS) ([]stats.Codelist, error) {
	var lists []stats.Codelist
	idx := map[string]int{}
	err := readTable(fsys, CodelistInfoFile, "codelist,name,partial,description", func(_ int, r []string) error {
		partial, err := strconv.ParseBool(r[2])
		if err != nil {
			return fmt.Errorf("partial %q: %w", r[2], err)
		}
		if r[0] == "CL_AREA" {
			return nil // built by readAreas
		}
		idx[r[0]] = len(lists)
		lists = append(lists, stats.Codelist{ID: r[0], Name: r[1], Partial: partial, Description: r[3]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTable(fsys, CodelistsFile, "codelist,id,name,parent,note", func(_ int, r []string) error {
		i, ok := idx[r[0]]
		if !ok {
			return fmt.Errorf("code list %q is not described in data/%s", r[0], CodelistInfoFile)
		}
		if lists[i].Has(r[1]) {
			return fmt.Errorf("%s code %q appears twice", r[0], r[1])
		}
		if r[3] != "" && !lists[i].Has(r[3]) {
			return fmt.Errorf("%s code %q: its parent %q must come before it", r[0], r[1], r[3])
		}
		lists[i].Codes = append(lists[i].Codes, stats.Code{ID: r[1], Name: r[2], Parent: r[3]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, cl := range lists {
		if len(cl.Codes) == 0 {
			return nil, fmt.Errorf("data/%s: code list %s has no codes", CodelistsFile, cl.ID)
		}
	}
	return lists, nil
}

// readAreas builds CL_AREA: the aggregates, participants and territories of
// areas.csv, participants named as in data/states/participants.csv.
func readAreas(fsys fs.FS) (stats.Codelist, error) {
	var cl stats.Codelist
	if err := readTable(fsys, CodelistInfoFile, "codelist,name,partial,description", func(_ int, r []string) error {
		if r[0] == "CL_AREA" {
			cl = stats.Codelist{ID: r[0], Name: r[1], Description: r[3]}
		}
		return nil
	}); err != nil {
		return cl, err
	}
	f, err := fsys.Open(ParticipantsFile)
	if err != nil {
		return cl, err
	}
	ps, err := state.ReadCSV(f)
	f.Close()
	if err != nil {
		return cl, fmt.Errorf("data/%s: %w", ParticipantsFile, err)
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.Code] = p.Name
	}
	listed := map[string]bool{}
	err = readTable(fsys, AreasFile, "code,kind,parent,name,note", func(_ int, r []string) error {
		code, kind, parent, name := r[0], r[1], r[2], r[3]
		switch kind {
		case "participant":
			n, ok := names[code]
			if !ok {
				return fmt.Errorf("%s is not a participant of data/%s", code, ParticipantsFile)
			}
			if name != "" {
				return fmt.Errorf("%s: a participant's name comes from data/%s; leave it empty", code, ParticipantsFile)
			}
			name = n
		case "world", "region", "subregion", "intermediate", "group", "territory", "subnational":
			if name == "" {
				return fmt.Errorf("%s needs a name", code)
			}
		default:
			return fmt.Errorf("%s: kind %q is unknown", code, kind)
		}
		if listed[code] {
			return fmt.Errorf("%s appears twice", code)
		}
		if parent != "" && !listed[parent] {
			return fmt.Errorf("%s: its parent %q must come before it", code, parent)
		}
		listed[code] = true
		cl.Codes = append(cl.Codes, stats.Code{ID: code, Name: name, Parent: parent})
		return nil
	})
	if err != nil {
		return cl, err
	}
	for _, p := range ps {
		if !listed[p.Code] {
			return cl, fmt.Errorf("data/%s: the participant %s is missing", AreasFile, p.Code)
		}
	}
	return cl, nil
}

func readDataflows(fsys fs.FS) ([]stats.Dataflow, error) {
	var out []stats.Dataflow
	err := readTable(fsys, DataflowsFile, "id,name,description,source,source_url,licence,data_as_of", func(_ int, r []string) error {
		out = append(out, stats.Dataflow{ID: r[0], Name: r[1], Description: r[2], Source: r[3], SourceURL: r[4], Licence: r[5], DataAsOf: r[6]})
		return nil
	})
	return out, err
}
