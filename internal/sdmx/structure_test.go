package sdmx_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

const structureMedia = "application/vnd.sdmx.structure+xml;version=2.1"

type langText struct {
	Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Text string `xml:",chardata"`
}

type ref struct {
	Agency        string `xml:"agencyID,attr"`
	ID            string `xml:"id,attr"`
	Version       string `xml:"version,attr"`
	Parent        string `xml:"maintainableParentID,attr"`
	ParentVersion string `xml:"maintainableParentVersion,attr"`
	Class         string `xml:"class,attr"`
}

type component struct {
	ID          string `xml:"id,attr"`
	Position    string `xml:"position,attr"`
	Assignment  string `xml:"assignmentStatus,attr"`
	Concept     ref    `xml:"ConceptIdentity>Ref"`
	Enumeration ref    `xml:"LocalRepresentation>Enumeration>Ref"`
	TextFormat  struct {
		Type string `xml:"textType,attr"`
	} `xml:"LocalRepresentation>TextFormat"`
	AttachedTo ref `xml:"AttributeRelationship>PrimaryMeasure>Ref"`
}

type item struct {
	ID     string     `xml:"id,attr"`
	Names  []langText `xml:"Name"`
	Parent ref        `xml:"Parent>Ref"`
}

type artefactXML struct {
	ID           string     `xml:"id,attr"`
	Agency       string     `xml:"agencyID,attr"`
	Version      string     `xml:"version,attr"`
	URN          string     `xml:"urn,attr"`
	External     string     `xml:"isExternalReference,attr"`
	StructureURL string     `xml:"structureURL,attr"`
	Names        []langText `xml:"Name"`
	Descriptions []langText `xml:"Description"`
	Annotations  []struct {
		Title string `xml:"AnnotationTitle"`
		Type  string `xml:"AnnotationType"`
		URL   string `xml:"AnnotationURL"`
		Text  string `xml:"AnnotationText"`
	} `xml:"Annotations>Annotation"`
	Structure  ref         `xml:"Structure>Ref"`
	Codes      []item      `xml:"Code"`
	Concepts   []item      `xml:"Concept"`
	Dimensions []component `xml:"DataStructureComponents>DimensionList>Dimension"`
	Time       []component `xml:"DataStructureComponents>DimensionList>TimeDimension"`
	Attributes []component `xml:"DataStructureComponents>AttributeList>Attribute"`
	Measures   []component `xml:"DataStructureComponents>MeasureList>PrimaryMeasure"`
}

func (a artefactXML) annotation(typ string) (title, url, text string) {
	for _, an := range a.Annotations {
		if an.Type == typ {
			return an.Title, an.URL, an.Text
		}
	}
	return "", "", ""
}

type structureMessage struct {
	Header struct {
		ID     string `xml:"ID"`
		Sender struct {
			ID string `xml:"id,attr"`
		} `xml:"Sender"`
	} `xml:"Header"`
	Structures struct {
		Dataflows      []artefactXML `xml:"Dataflows>Dataflow"`
		Codelists      []artefactXML `xml:"Codelists>Codelist"`
		ConceptSchemes []artefactXML `xml:"Concepts>ConceptScheme"`
		DataStructures []artefactXML `xml:"DataStructures>DataStructure"`
	} `xml:"Structures"`
}

// all lists the artefacts of a message as kind:id.
func (m structureMessage) all() []string {
	var out []string
	for kind, list := range map[string][]artefactXML{"dataflow": m.Structures.Dataflows, "codelist": m.Structures.Codelists,
		"conceptscheme": m.Structures.ConceptSchemes, "datastructure": m.Structures.DataStructures} {
		for _, a := range list {
			out = append(out, kind+":"+a.ID)
		}
	}
	slices.Sort(out)
	return out
}

// readStructure reads an SDMX-ML 2.1 Structure message.
func readStructure(t *testing.T, r response) structureMessage {
	t.Helper()
	if r.status != http.StatusOK || r.header.Get("Content-Type") != structureMedia {
		t.Fatalf("want a structure message\n%s", r)
	}
	checkNamespaces(t, r.body, "Structure", nsStruct)
	var m structureMessage
	if err := xml.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("Structure: %v", err)
	}
	if m.Header.Sender.ID != stats.Agency || !strings.HasPrefix(m.Header.ID, "IREF") {
		t.Errorf("header %+v", m.Header)
	}
	// The containers come in the order the schema requires.
	order := []string{"<str:Dataflows>", "<str:Codelists>", "<str:Concepts>", "<str:DataStructures>"}
	last := -1
	for _, c := range order {
		if i := strings.Index(r.body, c); i >= 0 {
			if i < last {
				t.Errorf("%s out of order", c)
			}
			last = i
		}
	}
	for _, list := range [][]artefactXML{m.Structures.Dataflows, m.Structures.Codelists, m.Structures.ConceptSchemes, m.Structures.DataStructures} {
		for _, a := range list {
			if a.Agency != stats.Agency || a.Version != stats.Version || !strings.HasPrefix(a.URN, "urn:sdmx:org.sdmx.infomodel.") || !strings.HasSuffix(a.URN, ":"+a.ID+"(1.0)") {
				t.Errorf("artefact %s: agency %q version %q urn %q", a.ID, a.Agency, a.Version, a.URN)
			}
			if len(a.Names) != 1 || a.Names[0].Lang != "en" || a.Names[0].Text == "" {
				t.Errorf("artefact %s: names %v", a.ID, a.Names)
			}
		}
	}
	return m
}

// usedCodelists are the code lists of the data structure that the
// database holds.
func usedCodelists(t *testing.T, db *store.DB) []stats.Codelist {
	t.Helper()
	lists, err := db.Codelists(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range stats.Dimensions {
		ids = append(ids, d.Codelist)
	}
	for _, a := range stats.Attributes {
		ids = append(ids, a.Codelist)
	}
	var out []stats.Codelist
	for _, l := range lists {
		if slices.Contains(ids, l.ID) {
			out = append(out, l)
		}
	}
	if len(out) != len(stats.Dimensions)+2 {
		t.Fatalf("the database holds %d of the data structure's code lists", len(out))
	}
	return out
}

func TestStructureDataflows(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		flows, err := db.Dataflows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			path    string
			headers []string
			want    []string
		}{
			{"/dataflow", nil, nil},
			{"/dataflow/UNODC", []string{"Accept", "application/xml"}, nil},
			{"/dataflow/all/all/latest/", []string{"Accept", "*/*"}, nil},
			{"/dataflow/UNODC/all/1.0", []string{"Accept", structureMedia}, nil},
			{"/dataflow/ALL/ALL/ALL", []string{"Accept", "text/html;q=0.9, application/vnd.sdmx.structure+xml;version=2.1"}, nil},
			{"/dataflow/UNODC/HOMICIDE+VICTIMS/latest", nil, []string{"HOMICIDE", "VICTIMS"}},
			{"/dataflow/UNODC/HOMICIDE", []string{"Accept", "application/vnd.sdmx.structure+xml"}, []string{"HOMICIDE"}},
		} {
			t.Run(tc.path, func(t *testing.T) {
				r := h.get(t, tc.path, tc.headers...)
				m := readStructure(t, r)
				checkCaching(t, r, false)
				got := map[string]artefactXML{}
				for _, a := range m.Structures.Dataflows {
					got[a.ID] = a
				}
				if len(m.all()) != len(got) {
					t.Errorf("a dataflow query without references answers %v", m.all())
				}
				n := 0
				for _, f := range flows {
					if tc.want != nil && !slices.Contains(tc.want, f.ID) {
						continue
					}
					n++
					a, ok := got[f.ID]
					if !ok {
						t.Errorf("no dataflow %s", f.ID)
						continue
					}
					if a.Names[0].Text != f.Name || len(a.Descriptions) != 1 || a.Descriptions[0].Text != f.Description {
						t.Errorf("%s: name %v, description %v", f.ID, a.Names, a.Descriptions)
					}
					if a.Structure.ID != stats.DSDID || a.Structure.Agency != stats.Agency || a.Structure.Version != stats.Version {
						t.Errorf("%s: structure %+v", f.ID, a.Structure)
					}
					if title, url, _ := a.annotation("SOURCE"); title != f.Source || url != f.SourceURL {
						t.Errorf("%s: source %q %q, want %q %q", f.ID, title, url, f.Source, f.SourceURL)
					}
					if _, _, text := a.annotation("LICENCE"); text != f.Licence {
						t.Errorf("%s: licence %q", f.ID, text)
					}
					if title, _, _ := a.annotation("DATA_AS_OF"); title != f.DataAsOf {
						t.Errorf("%s: data as of %q", f.ID, title)
					}
				}
				if n != len(got) || n == 0 {
					t.Errorf("%d dataflows, want %d", len(got), n)
				}
			})
		}
	})
}

func TestStructureReferences(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		var codelists, flows []string
		for _, l := range usedCodelists(t, db) {
			codelists = append(codelists, "codelist:"+l.ID)
		}
		fs, err := db.Dataflows(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			flows = append(flows, "dataflow:"+f.ID)
		}
		set := func(parts ...any) []string {
			var out []string
			for _, p := range parts {
				switch v := p.(type) {
				case string:
					out = append(out, v)
				case []string:
					out = append(out, v...)
				}
			}
			slices.Sort(out)
			return out
		}
		const flow, dsd, cs, sex = "dataflow:HOMICIDE", "datastructure:CRIME", "conceptscheme:CS_CRIME", "codelist:CL_SEX"
		for _, tc := range []struct {
			path string
			want []string
		}{
			{"/dataflow/UNODC/HOMICIDE", set(flow)},
			{"/dataflow/UNODC/HOMICIDE?references=none", set(flow)},
			{"/dataflow/UNODC/HOMICIDE?references=parents", set(flow)},
			{"/dataflow/UNODC/HOMICIDE?references=children", set(flow, dsd)},
			{"/dataflow/UNODC/HOMICIDE?references=descendants", set(flow, dsd, codelists, cs)},
			{"/dataflow/UNODC/HOMICIDE/latest?references=all", set(flow, dsd, codelists, cs)},
			{"/dataflow/UNODC/HOMICIDE?references=datastructure", set(flow, dsd)},
			{"/dataflow/UNODC/HOMICIDE?references=codelist", set(flow, codelists)},
			{"/dataflow/UNODC/HOMICIDE?references=categoryscheme", set(flow)},
			{"/datastructure/UNODC/CRIME/1.0?references=children", set(dsd, codelists, cs)},
			{"/datastructure/all/CRIME/latest/?references=children", set(dsd, codelists, cs)},
			{"/datastructure?references=parents", set(dsd, flows)},
			{"/datastructure/UNODC/CRIME?references=all", set(dsd, flows, codelists, cs)},
			{"/codelist/UNODC/CL_SEX?references=parents", set(sex, dsd)},
			{"/codelist/UNODC/CL_SEX?references=parentsandsiblings", set(dsd, codelists, cs)},
			{"/codelist/UNODC/CL_SEX?references=dataflow", set(sex, flows)},
			{"/codelist/UNODC/CL_SEX+CL_AGE", set(sex, "codelist:CL_AGE")},
			{"/codelist", set(codelists)},
			{"/conceptscheme", set(cs)},
			{"/conceptscheme/UNODC/CS_CRIME/1.0?references=parents", set(cs, dsd)},
			{"/structure/UNODC/CRIME", set(dsd)},
			{"/structure", set(flows, dsd, codelists, cs)},
		} {
			t.Run(tc.path, func(t *testing.T) {
				m := readStructure(t, h.get(t, tc.path))
				if got := m.all(); !slices.Equal(got, tc.want) {
					t.Errorf("got %v\nwant %v", got, tc.want)
				}
			})
		}
	})
}

func TestStructureContent(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		m := readStructure(t, h.get(t, "/datastructure/UNODC/CRIME/1.0?references=children"))
		if len(m.Structures.DataStructures) != 1 {
			t.Fatalf("%d data structures", len(m.Structures.DataStructures))
		}
		dsd := m.Structures.DataStructures[0]
		concept := func(c component, id string) {
			t.Helper()
			if c.Concept != (ref{Agency: stats.Agency, ID: id, Parent: "CS_CRIME", ParentVersion: stats.Version, Class: "Concept"}) {
				t.Errorf("%s: concept %+v", id, c.Concept)
			}
		}
		enumeration := func(c component, codelist string) {
			t.Helper()
			if c.Enumeration != (ref{Agency: stats.Agency, ID: codelist, Version: stats.Version, Class: "Codelist"}) {
				t.Errorf("%s: enumeration %+v, want %s", c.ID, c.Enumeration, codelist)
			}
		}
		if len(dsd.Dimensions) != len(stats.Dimensions) {
			t.Fatalf("%d dimensions", len(dsd.Dimensions))
		}
		for i, d := range stats.Dimensions {
			c := dsd.Dimensions[i]
			if c.ID != d.ID || c.Position != strconv.Itoa(i+1) {
				t.Errorf("dimension %d: %s at %s, want %s", i, c.ID, c.Position, d.ID)
			}
			concept(c, d.ID)
			enumeration(c, d.Codelist)
		}
		if len(dsd.Time) != 1 || dsd.Time[0].ID != stats.TimeDimension || dsd.Time[0].Position != "11" || dsd.Time[0].TextFormat.Type != "ObservationalTimePeriod" {
			t.Errorf("time dimension %+v", dsd.Time)
		}
		if len(dsd.Measures) != 1 || dsd.Measures[0].ID != stats.PrimaryMeasure {
			t.Errorf("measures %+v", dsd.Measures)
		}
		if len(dsd.Attributes) != len(stats.Attributes) {
			t.Fatalf("%d attributes", len(dsd.Attributes))
		}
		for i, a := range stats.Attributes {
			c := dsd.Attributes[i]
			if c.ID != a.ID || c.AttachedTo.ID != stats.PrimaryMeasure || (c.Assignment != "Mandatory" && c.Assignment != "Conditional") {
				t.Errorf("attribute %+v", c)
			}
			concept(c, a.ID)
			if a.Codelist != "" {
				enumeration(c, a.Codelist)
			} else if c.TextFormat.Type != "String" {
				t.Errorf("%s: text format %q", a.ID, c.TextFormat.Type)
			}
		}

		if len(m.Structures.ConceptSchemes) != 1 {
			t.Fatalf("%d concept schemes", len(m.Structures.ConceptSchemes))
		}
		var concepts []string
		for _, c := range m.Structures.ConceptSchemes[0].Concepts {
			concepts = append(concepts, c.ID)
		}
		want := []string{}
		for _, d := range stats.Dimensions {
			want = append(want, d.ID)
		}
		want = append(want, stats.TimeDimension, stats.PrimaryMeasure)
		for _, a := range stats.Attributes {
			want = append(want, a.ID)
		}
		if !slices.Equal(concepts, want) {
			t.Errorf("concepts %v, want %v", concepts, want)
		}

		read := map[string]artefactXML{}
		for _, l := range m.Structures.Codelists {
			read[l.ID] = l
		}
		for _, l := range usedCodelists(t, db) {
			got, ok := read[l.ID]
			if !ok {
				t.Errorf("no code list %s", l.ID)
				continue
			}
			if got.Names[0].Text != l.Name {
				t.Errorf("%s named %q, want %q", l.ID, got.Names[0].Text, l.Name)
			}
			if _, _, text := got.annotation("PARTIAL"); (text != "") != l.Partial {
				t.Errorf("%s: partial %v, annotation %q", l.ID, l.Partial, text)
			}
			if len(got.Codes) != len(l.Codes) {
				t.Errorf("%s: %d codes, want %d", l.ID, len(got.Codes), len(l.Codes))
				continue
			}
			for i, c := range l.Codes {
				g := got.Codes[i]
				if g.ID != c.ID || g.Names[0].Text != c.Name || g.Parent.ID != c.Parent {
					t.Errorf("%s code %d: %s %q parent %q, want %s %q parent %q", l.ID, i, g.ID, g.Names[0].Text, g.Parent.ID, c.ID, c.Name, c.Parent)
				}
			}
		}
	})
}

func TestStructureDetail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		stub := func(a artefactXML, resource string) bool {
			return a.External == "true" && a.StructureURL == "http://cpcj.test/sdmx/rest/"+resource+"/UNODC/"+a.ID+"/1.0" &&
				len(a.Codes) == 0 && len(a.Concepts) == 0 && len(a.Dimensions) == 0
		}
		m := readStructure(t, h.get(t, "/dataflow/UNODC/HOMICIDE?references=all&detail=allstubs"))
		for _, a := range m.Structures.Codelists {
			if !stub(a, "codelist") || len(a.Annotations) > 0 {
				t.Errorf("allstubs: code list %s is not a stub: %+v", a.ID, a)
			}
		}
		if f := m.Structures.Dataflows[0]; !stub(f, "dataflow") || len(f.Descriptions) > 0 || f.Structure.ID != stats.DSDID {
			t.Errorf("allstubs: dataflow %+v", f)
		}
		if d := m.Structures.DataStructures[0]; !stub(d, "datastructure") {
			t.Errorf("allstubs: data structure %+v", d)
		}

		m = readStructure(t, h.get(t, "/dataflow/UNODC/HOMICIDE?references=all&detail=allcompletestubs"))
		if f := m.Structures.Dataflows[0]; !stub(f, "dataflow") || len(f.Descriptions) != 1 || len(f.Annotations) == 0 {
			t.Errorf("allcompletestubs: dataflow %+v", f)
		}

		m = readStructure(t, h.get(t, "/dataflow/UNODC/HOMICIDE?references=all&detail=referencestubs"))
		if f := m.Structures.Dataflows[0]; f.External != "" || len(f.Annotations) == 0 {
			t.Errorf("referencestubs: the dataflow asked for is a stub: %+v", f)
		}
		if d := m.Structures.DataStructures[0]; !stub(d, "datastructure") {
			t.Errorf("referencestubs: data structure %+v", d)
		}
		for _, a := range m.Structures.Codelists {
			if !stub(a, "codelist") {
				t.Errorf("referencestubs: code list %s", a.ID)
			}
		}

		m = readStructure(t, h.get(t, "/codelist/UNODC/CL_SEX/1.0/F+M"))
		if len(m.Structures.Codelists) != 1 || len(m.Structures.Codelists[0].Codes) != 2 {
			t.Fatalf("item query: %+v", m.Structures.Codelists)
		}
		m = readStructure(t, h.get(t, "/conceptscheme/UNODC/CS_CRIME/1.0/TIME_PERIOD"))
		if cs := m.Structures.ConceptSchemes; len(cs) != 1 || len(cs[0].Concepts) != 1 || cs[0].Concepts[0].ID != stats.TimeDimension {
			t.Errorf("concept item query: %+v", cs)
		}
	})
}
