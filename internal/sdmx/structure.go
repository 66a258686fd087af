package sdmx

import (
	"bufio"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/cpcj/cpcj/internal/httpcache"
	"github.com/cpcj/cpcj/internal/stats"
)

// The kinds of structure the service holds, by their REST resource names.
const (
	kindDataflow      = "dataflow"
	kindDataStructure = "datastructure"
	kindCodelist      = "codelist"
	kindConceptScheme = "conceptscheme"
)

// conceptSchemeID is the concept scheme of the data structure's components.
const conceptSchemeID = "CS_CRIME"

// Names of the structures that are defined in code rather than stored.
const (
	dsdName           = "Crime and criminal justice statistics"
	conceptSchemeName = "Concepts of crime and criminal justice statistics"
)

// component is a dimension, the time dimension, the measure or an
// attribute of the data structure, with the concept it stands for.
type component struct {
	id, name, codelist string
}

// concepts are every component of the data structure, in the order the
// concept scheme lists them.
func concepts() []component {
	var out []component
	for _, d := range stats.Dimensions {
		out = append(out, component{d.ID, d.Name, d.Codelist})
	}
	out = append(out, component{stats.TimeDimension, "Time period", ""}, component{stats.PrimaryMeasure, "Observation value", ""})
	for _, a := range stats.Attributes {
		out = append(out, component{a.ID, a.Name, a.Codelist})
	}
	return out
}

// artefact is one structure of an answer.
type artefact struct {
	kind  string
	id    string
	flow  stats.Dataflow
	list  stats.Codelist
	items []string // for item queries: the items asked for
	stub  bool
}

// catalogue is every structure the service holds.
type catalogue struct {
	flows []stats.Dataflow
	lists []stats.Codelist
}

// all returns the structures of a kind.
func (c catalogue) all(kind string) []artefact {
	var out []artefact
	switch kind {
	case kindDataflow:
		for _, f := range c.flows {
			out = append(out, artefact{kind: kind, id: f.ID, flow: f})
		}
	case kindCodelist:
		for _, l := range c.lists {
			out = append(out, artefact{kind: kind, id: l.ID, list: l})
		}
	case kindDataStructure:
		out = append(out, artefact{kind: kind, id: stats.DSDID})
	case kindConceptScheme:
		out = append(out, artefact{kind: kind, id: conceptSchemeID})
	}
	return out
}

func (c catalogue) get(kind, id string) (artefact, bool) {
	for _, a := range c.all(kind) {
		if a.id == id {
			return a, true
		}
	}
	return artefact{}, false
}

// children are the structures an artefact references.
func (c catalogue) children(a artefact) []artefact {
	switch a.kind {
	case kindDataflow:
		return c.all(kindDataStructure)
	case kindDataStructure:
		var out []artefact
		seen := map[string]bool{}
		for _, comp := range concepts() {
			if comp.codelist == "" || seen[comp.codelist] {
				continue
			}
			seen[comp.codelist] = true
			if l, ok := c.get(kindCodelist, comp.codelist); ok {
				out = append(out, l)
			}
		}
		return append(out, c.all(kindConceptScheme)...)
	}
	return nil
}

// parents are the structures that reference an artefact.
func (c catalogue) parents(a artefact) []artefact {
	switch a.kind {
	case kindDataStructure:
		return c.all(kindDataflow)
	case kindCodelist, kindConceptScheme:
		dsd := c.all(kindDataStructure)[0]
		for _, ch := range c.children(dsd) {
			if ch.kind == a.kind && ch.id == a.id {
				return []artefact{dsd}
			}
		}
	}
	return nil
}

// closure follows a relation from the artefacts until nothing new turns up.
func closure(start []artefact, next func(artefact) []artefact) []artefact {
	var out []artefact
	seen := map[string]bool{}
	queue := slices.Clone(start)
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		for _, b := range next(a) {
			if k := b.kind + ":" + b.id; !seen[k] {
				seen[k] = true
				out = append(out, b)
				queue = append(queue, b)
			}
		}
	}
	return out
}

// references returns the structures that the references parameter adds
// to an artefact.
func (c catalogue) references(a artefact, mode string) []artefact {
	parentsAndSiblings := func() []artefact {
		ps := c.parents(a)
		out := slices.Clone(ps)
		for _, p := range ps {
			out = append(out, c.children(p)...)
		}
		return out
	}
	switch mode {
	case refNone:
		return nil
	case refParents:
		return c.parents(a)
	case refParentsAndSibling:
		return parentsAndSiblings()
	case refChildren:
		return c.children(a)
	case refDescendants:
		return closure([]artefact{a}, c.children)
	case refAll:
		return append(parentsAndSiblings(), closure([]artefact{a}, c.children)...)
	}
	// A type of structure: the ones of that type related to the artefact
	// in either direction.
	var out []artefact
	related := append(closure([]artefact{a}, c.parents), closure([]artefact{a}, c.children)...)
	for _, b := range append(related, parentsAndSiblings()...) {
		if b.kind == mode {
			out = append(out, b)
		}
	}
	return out
}

// resolve finds the structures a query asks for, then those it references.
func (c catalogue) resolve(q structureQuery) ([]artefact, error) {
	kinds := []string{q.resource}
	if q.resource == "structure" {
		kinds = []string{kindDataflow, kindCodelist, kindConceptScheme, kindDataStructure}
	}
	if q.agencies != nil && !slices.Contains(q.agencies, stats.Agency) {
		return nil, noResults("No structure is maintained by %v here; all are %s's.", q.agencies, stats.Agency)
	}
	if q.versions != nil && !slices.Contains(q.versions, stats.Version) {
		return nil, noResults("No structure has version %v here; every structure is version %s.", q.versions, stats.Version)
	}
	var matched []artefact
	for _, kind := range kinds {
		for _, a := range c.all(kind) {
			if q.ids != nil && !slices.Contains(q.ids, a.id) {
				continue
			}
			if q.items != nil {
				if !hasItems(a, q.items) {
					continue
				}
				a.items = q.items
			}
			matched = append(matched, a)
		}
	}
	if len(matched) == 0 {
		what := q.resource
		if q.ids != nil {
			what += " " + joinList(q.ids)
		}
		if q.items != nil {
			what += " with item " + joinList(q.items)
		}
		return nil, noResults("There is no %s here.", what)
	}
	stubRefs := q.detail == detailReferenceStubs || q.detail == detailReferenceCompleteStubs
	stubAll := q.detail == detailAllStubs || q.detail == detailAllCompleteStubs
	out := slices.Clone(matched)
	seen := map[string]bool{}
	for i := range out {
		out[i].stub = stubAll
		seen[out[i].kind+":"+out[i].id] = true
	}
	for _, a := range matched {
		for _, b := range c.references(a, q.references) {
			if k := b.kind + ":" + b.id; !seen[k] {
				seen[k] = true
				b.stub = stubAll || stubRefs
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// hasItems reports whether an item scheme holds any of the items.
func hasItems(a artefact, items []string) bool {
	switch a.kind {
	case kindCodelist:
		for _, code := range a.list.Codes {
			if slices.Contains(items, code.ID) {
				return true
			}
		}
	case kindConceptScheme:
		for _, comp := range concepts() {
			if slices.Contains(items, comp.id) {
				return true
			}
		}
	}
	return false
}

func joinList(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += "+"
		}
		s += id
	}
	return s
}

// Structure answers a structure query:
// {resource}/{agencyID}/{resourceID}/{version}/{itemID}, each part optional
// from the right.
func (x *Handler) Structure(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := parseStructureQuery(r.PathValue("resource"), r.PathValue("agencyID"), r.PathValue("resourceID"),
		r.PathValue("version"), r.PathValue("itemID"), r.URL.Query())
	if err != nil {
		x.fail(w, r, err)
		return
	}
	c, err := negotiate(r, structureFormats, q.format)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	version, err := x.store.StatisticsVersion(ctx)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	var cat catalogue
	if cat.flows, err = x.store.Dataflows(ctx); err != nil {
		x.fail(w, r, err)
		return
	}
	if cat.lists, err = x.store.Codelists(ctx); err != nil {
		x.fail(w, r, err)
		return
	}
	arts, err := cat.resolve(q)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	v, err := x.validators(ctx, r, version, c)
	if err != nil {
		x.fail(w, r, err)
		return
	}
	if httpcache.NotModified(w, r, v, maxAge, vary) {
		return
	}
	h := w.Header()
	v.Set(h, maxAge, vary)
	h.Set("Content-Type", formats[c.format].media)
	w.WriteHeader(http.StatusOK)
	complete := q.detail == detailAllCompleteStubs || q.detail == detailReferenceCompleteStubs || q.detail == detailFull
	sw := structureWriter{x: newXMLWriter(bufio.NewWriterSize(w, 32<<10)), cat: cat, base: x.baseURL + Prefix, complete: complete}
	sw.message(arts, x.now())
	if err := sw.x.flush(); err != nil {
		x.log.WarnContext(ctx, "sdmx structure answer not sent whole", "err", err)
	}
}

// structureWriter writes an SDMX-ML 2.1 Structure message.
type structureWriter struct {
	x        *xmlWriter
	cat      catalogue
	base     string // the service's address, for structure URLs
	complete bool   // stubs carry descriptions and annotations
}

func (s structureWriter) message(arts []artefact, now time.Time) {
	x := s.x
	x.declaration()
	x.start("message:Structure", "xmlns:message", nsMessage, "xmlns:str", nsStruct, "xmlns:com", nsCommon)
	x.start("message:Header")
	x.text("message:ID", messageID())
	x.text("message:Test", "false")
	x.text("message:Prepared", now.UTC().Format(time.RFC3339))
	x.start("message:Sender", "id", stats.Agency)
	x.text("com:Name", senderName, "xml:lang", "en")
	x.end("message:Sender")
	x.end("message:Header")
	x.start("message:Structures")
	// The containers in the order StructuresType requires.
	for _, group := range []struct{ kind, container string }{
		{kindDataflow, "str:Dataflows"}, {kindCodelist, "str:Codelists"},
		{kindConceptScheme, "str:Concepts"}, {kindDataStructure, "str:DataStructures"},
	} {
		var of []artefact
		for _, a := range arts {
			if a.kind == group.kind {
				of = append(of, a)
			}
		}
		if len(of) == 0 {
			continue
		}
		x.start(group.container)
		for _, a := range of {
			switch a.kind {
			case kindDataflow:
				s.dataflow(a)
			case kindCodelist:
				s.codelist(a)
			case kindConceptScheme:
				s.conceptScheme(a)
			case kindDataStructure:
				s.dataStructure(a)
			}
		}
		x.end(group.container)
	}
	x.end("message:Structures")
	x.end("message:Structure")
}

// maintainable writes the start tag of a maintainable artefact.
func (s structureWriter) maintainable(element, class, resource string, a artefact) {
	attrs := []string{"id", a.id, "urn", urn(class, a.id), "agencyID", stats.Agency, "version", stats.Version, "isFinal", "false"}
	if a.stub {
		attrs = append(attrs, "isExternalReference", "true",
			"structureURL", s.base+"/"+resource+"/"+stats.Agency+"/"+a.id+"/"+stats.Version)
	}
	s.x.start(element, attrs...)
}

// annotation is one com:Annotation.
type annotation struct{ typ, title, url, text string }

func (s structureWriter) annotations(list []annotation) {
	var keep []annotation
	for _, a := range list {
		if a.title != "" || a.url != "" || a.text != "" {
			keep = append(keep, a)
		}
	}
	if len(keep) == 0 {
		return
	}
	x := s.x
	x.start("com:Annotations")
	for _, a := range keep {
		x.start("com:Annotation")
		if a.title != "" {
			x.text("com:AnnotationTitle", a.title)
		}
		x.text("com:AnnotationType", a.typ)
		if a.url != "" {
			x.text("com:AnnotationURL", a.url)
		}
		if a.text != "" {
			x.text("com:AnnotationText", a.text, "xml:lang", "en")
		}
		x.end("com:Annotation")
	}
	x.end("com:Annotations")
}

// names writes the name and, where it is wanted, the description.
func (s structureWriter) names(a artefact, name, description string) {
	s.x.text("com:Name", name, "xml:lang", "en")
	if description != "" && (!a.stub || s.complete) {
		s.x.text("com:Description", description, "xml:lang", "en")
	}
}

func (s structureWriter) dataflow(a artefact) {
	f := a.flow
	s.maintainable("str:Dataflow", "Dataflow", kindDataflow, a)
	if !a.stub || s.complete {
		// Provenance travels with the dataflow (DESIGN: every figure
		// carries its source and date of data).
		updated := ""
		if !f.UpdatedAt.IsZero() {
			updated = f.UpdatedAt.UTC().Format(time.RFC3339)
		}
		s.annotations([]annotation{
			{typ: "SOURCE", title: f.Source, url: f.SourceURL},
			{typ: "LICENCE", text: f.Licence},
			{typ: "DATA_AS_OF", title: f.DataAsOf},
			{typ: "LAST_UPDATE", title: updated},
		})
	}
	s.names(a, f.Name, f.Description)
	s.x.ref("str:Structure", "agencyID", stats.Agency, "id", stats.DSDID, "version", stats.Version, "class", "DataStructure", "package", "datastructure")
	s.x.end("str:Dataflow")
}

func (s structureWriter) codelist(a artefact) {
	l := a.list
	s.maintainable("str:Codelist", "Codelist", kindCodelist, a)
	if l.Partial && (!a.stub || s.complete) {
		s.annotations([]annotation{{typ: "PARTIAL", text: "This code list holds only part of its classification: the codes listed are those cpcj uses. Codes that are not listed are not invalid."}})
	}
	s.names(a, l.Name, l.Description)
	if !a.stub {
		ids := map[string]bool{}
		for _, code := range l.Codes {
			ids[code.ID] = true
		}
		for _, code := range l.Codes {
			if a.items != nil && !slices.Contains(a.items, code.ID) {
				continue
			}
			s.x.start("str:Code", "id", code.ID)
			s.x.text("com:Name", code.Name, "xml:lang", "en")
			if code.Parent != "" && ids[code.Parent] {
				s.x.ref("str:Parent", "id", code.Parent)
			}
			s.x.end("str:Code")
		}
	}
	s.x.end("str:Codelist")
}

func (s structureWriter) conceptScheme(a artefact) {
	s.maintainable("str:ConceptScheme", "ConceptScheme", kindConceptScheme, a)
	s.names(a, conceptSchemeName, "")
	if !a.stub {
		for _, c := range concepts() {
			if a.items != nil && !slices.Contains(a.items, c.id) {
				continue
			}
			s.x.start("str:Concept", "id", c.id)
			s.x.text("com:Name", c.name, "xml:lang", "en")
			s.x.end("str:Concept")
		}
	}
	s.x.end("str:ConceptScheme")
}

func (s structureWriter) dataStructure(a artefact) {
	x := s.x
	s.maintainable("str:DataStructure", "DataStructure", kindDataStructure, a)
	s.names(a, dsdName, "")
	if a.stub {
		x.end("str:DataStructure")
		return
	}
	conceptRef := func(id string) {
		x.ref("str:ConceptIdentity", "agencyID", stats.Agency, "maintainableParentID", conceptSchemeID,
			"maintainableParentVersion", stats.Version, "id", id, "class", "Concept", "package", "conceptscheme")
	}
	representation := func(codelist, textType string) {
		x.raw("<str:LocalRepresentation>")
		if codelist != "" {
			x.ref("str:Enumeration", "agencyID", stats.Agency, "id", codelist, "version", stats.Version, "class", "Codelist", "package", "codelist")
		} else {
			x.empty("str:TextFormat", "textType", textType)
		}
		x.end("str:LocalRepresentation")
	}
	x.start("str:DataStructureComponents")
	x.start("str:DimensionList", "id", "DimensionDescriptor")
	for i, d := range stats.Dimensions {
		x.start("str:Dimension", "id", d.ID, "position", strconv.Itoa(i+1))
		conceptRef(d.ID)
		representation(d.Codelist, "")
		x.end("str:Dimension")
	}
	x.start("str:TimeDimension", "id", stats.TimeDimension, "position", strconv.Itoa(len(stats.Dimensions)+1))
	conceptRef(stats.TimeDimension)
	representation("", "ObservationalTimePeriod")
	x.end("str:TimeDimension")
	x.end("str:DimensionList")
	x.start("str:AttributeList", "id", "AttributeDescriptor")
	for _, at := range stats.Attributes {
		status := "Conditional"
		if at.ID == "OBS_STATUS" {
			status = "Mandatory"
		}
		x.start("str:Attribute", "id", at.ID, "assignmentStatus", status)
		conceptRef(at.ID)
		representation(at.Codelist, "String")
		x.raw("<str:AttributeRelationship>")
		x.ref("str:PrimaryMeasure", "id", stats.PrimaryMeasure)
		x.end("str:AttributeRelationship")
		x.end("str:Attribute")
	}
	x.end("str:AttributeList")
	x.start("str:MeasureList", "id", "MeasureDescriptor")
	x.start("str:PrimaryMeasure", "id", stats.PrimaryMeasure)
	conceptRef(stats.PrimaryMeasure)
	representation("", "Double")
	x.end("str:PrimaryMeasure")
	x.end("str:MeasureList")
	x.end("str:DataStructureComponents")
	x.end("str:DataStructure")
}
