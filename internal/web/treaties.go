package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/chart"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/i18n"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/treaty"
)

// DefaultAnnex is the set of instruments of the Secretary-General's status
// annex (¶ 50): UNTOC and its Protocols.
var DefaultAnnex = []string{"XVIII-12", "XVIII-12-a", "XVIII-12-b", "XVIII-12-c"}

// Topics orders the overview's sections.
var Topics = []string{"crime", "corruption", "drugs", "terrorism"}

// overviewRow is one instrument on the overview, with its status today.
type overviewRow struct {
	In     treaty.Instrument
	Status treaty.Status
}

type overviewPage struct {
	Date    civil.Date
	Topics  []string
	ByTopic map[string][]overviewRow
	AsOf    civil.Date
	Err     string
}

// datePicked reads the page's date: today when absent; a bad one is
// reported on the page and today used.
func datePicked(r *http.Request) (civil.Date, string) {
	s := r.URL.Query().Get("date")
	if s == "" {
		return civil.Today(), ""
	}
	d, err := civil.Parse(s)
	if err != nil {
		return civil.Today(), err.Error()
	}
	if d.After(civil.Today()) {
		return civil.Today(), fmt.Sprintf("%s is in the future; status is shown as of today", d)
	}
	return d, ""
}

// Treaties shows the instruments with their counts on a date.
func (h *Handler) Treaties(w http.ResponseWriter, r *http.Request) {
	on, msg := datePicked(r)
	insts, err := h.treaties.Instruments(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := overviewPage{Date: on, Topics: Topics, ByTopic: map[string][]overviewRow{}, Err: msg}
	for _, in := range insts {
		row := overviewRow{In: in}
		if in.Records && !on.Before(in.Adopted) {
			rep, err := h.treaties.Status(r.Context(), in.ID, on)
			if err != nil {
				h.Error(w, r, err)
				return
			}
			row.Status = rep.Status
			if d.AsOf.IsZero() || in.RecordsAsOf.After(d.AsOf) {
				d.AsOf = in.RecordsAsOf
			}
		}
		d.ByTopic[in.Topic] = append(d.ByTopic[in.Topic], row)
	}
	h.render(w, r, http.StatusOK, "treaties", "treaties", d)
}

type instrumentPage struct {
	In         treaty.Instrument
	Report     treaty.Report
	Date       civil.Date
	Err        string
	Growth     template.HTML
	GrowthRows []treaty.YearCount
	Map        template.HTML
	NotOnMap   []string
	Groups     []state.Group
	NoRecords  bool
	BeforeAdop bool
}

// Instrument shows one instrument's status on a chosen date: counts, the
// growth chart, the map, and the lists.
func (h *Handler) Instrument(w http.ResponseWriter, r *http.Request) {
	in, err := h.treaties.Instrument(r.Context(), r.PathValue("id"))
	if err != nil {
		h.Error(w, r, err)
		return
	}
	if in.ID != r.PathValue("id") {
		// One address per instrument: aliases lead to the number.
		target := "/treaties/" + in.ID
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	}
	on, msg := datePicked(r)
	d := instrumentPage{In: in, Date: on, Err: msg, Groups: state.Groups}
	l := h.Locale(r)
	switch {
	case !in.Records:
		d.NoRecords = true
	case on.Before(in.Adopted):
		d.BeforeAdop = true
	default:
		d.Report, err = h.treaties.Status(r.Context(), in.ID, on)
		if err != nil {
			h.Error(w, r, err)
			return
		}
		// Years after the records' date would only repeat the last count.
		until := on
		if in.RecordsAsOf.Before(until) {
			until = in.RecordsAsOf
		}
		if d.GrowthRows, err = h.treaties.Growth(r.Context(), in.ID, until); err != nil {
			h.Error(w, r, err)
			return
		}
		d.Growth = h.growthChart(l, in, d.Report, d.GrowthRows)
		if d.Map, d.NotOnMap, err = h.partiesMap(r, l, d.Report); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "instrument", "treaties", d)
}

func (h *Handler) growthChart(l *i18n.Locale, in treaty.Instrument, rep treaty.Report, rows []treaty.YearCount) template.HTML {
	c := chart.Bars{
		Title:     l.T("instrument.growth.title", "name", in.ShortTitle),
		Desc:      l.T("instrument.growth.desc", "name", in.ShortTitle, "date", rep.Date),
		FirstYear: in.Adopted.Year(),
	}
	for _, y := range rows {
		c.Bars = append(c.Bars, chart.Bar{Label: strconv.Itoa(y.Year), Value: y.Parties, Title: l.T("instrument.growth.bar", "year", strconv.Itoa(y.Year), "n", y.Parties)})
	}
	if nth := rep.ThresholdReached; !nth.IsZero() && in.Rule != nil {
		c.Markers = append(c.Markers, chart.Marker{At: nth.Time(), Label: l.T("instrument.growth.threshold", "n", in.Rule.Threshold, "date", nth.Time())})
	}
	if eif := rep.EntryIntoForce; rep.InForce {
		c.Markers = append(c.Markers, chart.Marker{At: eif.Time(), Label: l.T("instrument.growth.eif", "date", eif.Time())})
	}
	return c.Render()
}

func (h *Handler) partiesMap(r *http.Request, l *i18n.Locale, rep treaty.Report) (template.HTML, []string, error) {
	world, err := h.world()
	if err != nil {
		return "", nil, err
	}
	all, _, err := h.store.Participants(r.Context(), state.Filter{})
	if err != nil {
		return "", nil, err
	}
	party, signed := map[string]bool{}, map[string]bool{}
	for _, p := range rep.PartyList {
		party[p.Code] = true
	}
	for _, p := range rep.SignatoryList {
		signed[p.Code] = true
	}
	spec := chart.MapSpec{
		Title: l.T("instrument.map.title", "name", rep.Instrument.ShortTitle, "date", rep.Date.Time()),
		Desc:  l.T("instrument.map.desc", "n", rep.Parties, "date", rep.Date.Time()),
		Class: map[string]string{}, Names: map[string]string{}, Links: map[string]string{},
	}
	var missing []string
	for _, p := range all {
		if p.M49 == "" {
			continue
		}
		class := "not-party"
		switch {
		case party[p.Code]:
			class = "party"
		case signed[p.Code]:
			class = "signatory"
		}
		spec.Class[p.M49] = class
		spec.Names[p.M49] = p.Name + ": " + l.T("instrument.map."+class)
		spec.Links[p.M49] = "/states/" + p.Code
		if !world.Has(p.M49) {
			missing = append(missing, p.Name)
		}
	}
	return world.Render(spec), missing, nil
}

type annexPage struct {
	Annex       treaty.Annex
	Instruments []treaty.Instrument // all that have records, for the chooser
	Chosen      map[string]bool
	Rows        []annexRow // Annex.Rows, their cells written out
}

// annexRow is one participant of the annex, with its cells for every
// instrument.
type annexRow struct {
	Code, Name string
	Cells      template.HTML
}

// annexRows writes the cells of the annex's rows in the reader's language.
// The full annex has thousands of cells (every participant by 15
// instruments); written here, once each, they cost a fraction of what the
// template spent evaluating each one by reflection. The markup and the
// escaping are the template's: <td>signature</td><td>party since, with the
// code of the action in an <abbr>, or the withdrawal</td>.
func annexRows(l *i18n.Locale, a treaty.Annex) []annexRow {
	dates := map[civil.Date]string{} // dates recur: each is formatted once
	date := func(d civil.Date) string {
		s, ok := dates[d]
		if !ok {
			s = annexText(l.Date(d.Time()))
			dates[d] = s
		}
		return s
	}
	codes := annexAttr(l.T("annex.codes"))
	var b strings.Builder
	b.Grow(len(a.Rows) * len(a.Instruments) * 48)
	ends := make([]int, len(a.Rows))
	for i, r := range a.Rows {
		for _, c := range r.Cells {
			b.WriteString("<td>")
			if !c.Signed.IsZero() {
				b.WriteString(date(c.Signed))
			}
			b.WriteString("</td><td>")
			if c.Party() {
				b.WriteString(date(c.Consented))
				if code := c.Action.Code(); code != "" {
					b.WriteString(` <abbr title="`)
					b.WriteString(codes)
					b.WriteString(`">`)
					b.WriteString(annexText(code))
					b.WriteString("</abbr>")
				}
			} else if !c.Withdrawn.IsZero() {
				b.WriteString(`<span class="meta">`)
				b.WriteString(annexText(l.T("annex.withdrawn", "date", c.Withdrawn.Time())))
				b.WriteString("</span>")
			}
			b.WriteString("</td>")
		}
		ends[i] = b.Len()
	}
	all, start := b.String(), 0
	rows := make([]annexRow, len(a.Rows))
	for i, r := range a.Rows {
		rows[i] = annexRow{Code: r.Code, Name: r.Name, Cells: template.HTML(all[start:ends[i]])}
		start = ends[i]
	}
	return rows
}

// The contexts of the values in the annex's cells, for html/template to
// escape them in: element text, and a double-quoted attribute.
var (
	annexTextTmpl = template.Must(template.New("").Parse(`{{.}}`))
	annexAttrTmpl = template.Must(template.New("").Parse(`<i title="{{.}}">`))
)

// annexText escapes s as html/template does in element text. A string
// without any of the characters html/template replaces in text and
// attributes (NUL " & ' + < >) is written as it is; any other goes
// through html/template itself.
func annexText(s string) string {
	if !strings.ContainsAny(s, "\x00\"&'+<>") {
		return s
	}
	return annexEscape(annexTextTmpl, s, "", "")
}

// annexAttr escapes s as html/template does in a double-quoted attribute.
func annexAttr(s string) string {
	if !strings.ContainsAny(s, "\x00\"&'+<>") {
		return s
	}
	return annexEscape(annexAttrTmpl, s, `<i title="`, `">`)
}

func annexEscape(t *template.Template, s, before, after string) string {
	var b strings.Builder
	if err := t.Execute(&b, s); err != nil {
		// A string always executes; this is only a safe answer.
		return template.HTMLEscapeString(s)
	}
	return strings.TrimSuffix(strings.TrimPrefix(b.String(), before), after)
}

// annexFor reads the instruments and date of an annex request.
func (h *Handler) annexFor(r *http.Request) (treaty.Annex, error) {
	q := r.URL.Query()
	ids := q["instrument"]
	if len(ids) == 0 {
		ids = DefaultAnnex
	}
	on := civil.Today()
	if s := q.Get("date"); s != "" {
		d, err := civil.Parse(s)
		if err != nil {
			return treaty.Annex{}, fail.Field("date", "%v", err)
		}
		if d.After(on) {
			return treaty.Annex{}, fail.Field("date", "%s is in the future; status is known up to today", d)
		}
		on = d
	}
	return h.treaties.Annex(r.Context(), ids, on)
}

// Annex shows the status annex, or sends it as CSV or XLSX.
func (h *Handler) Annex(w http.ResponseWriter, r *http.Request) {
	a, err := h.annexFor(r)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	name := fmt.Sprintf("status-annex-%s", a.Date)
	switch r.URL.Query().Get("format") {
	case "csv":
		var buf bytes.Buffer
		if err := a.WriteCSV(&buf); err != nil {
			h.Error(w, r, err)
			return
		}
		download(w, "text/csv; charset=utf-8", name+".csv", buf.Bytes())
		return
	case "xlsx":
		var buf bytes.Buffer
		if err := a.WriteXLSX(&buf); err != nil {
			h.Error(w, r, err)
			return
		}
		download(w, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name+".xlsx", buf.Bytes())
		return
	}
	insts, err := h.treaties.Instruments(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d := annexPage{Annex: a, Chosen: map[string]bool{}, Rows: annexRows(h.Locale(r), a)}
	for _, in := range insts {
		if in.Records {
			d.Instruments = append(d.Instruments, in)
		}
	}
	for _, in := range a.Instruments {
		d.Chosen[in.ID] = true
	}
	h.render(w, r, http.StatusOK, "annex", "treaties", d)
}

func download(w http.ResponseWriter, contentType, name string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

type recordPage struct {
	Record      treaty.Record
	Instruments []treaty.Instrument
	States      []state.Participant
	Actions     []treaty.Action
	Err         string
	ErrFor      string
	Editing     bool
}

func (h *Handler) recordData(r *http.Request, rec treaty.Record) (recordPage, error) {
	insts, err := h.treaties.Instruments(r.Context())
	if err != nil {
		return recordPage{}, err
	}
	states, _, err := h.store.Participants(r.Context(), state.Filter{})
	if err != nil {
		return recordPage{}, err
	}
	d := recordPage{Record: rec, States: states, Actions: treaty.Actions, Editing: rec.ID != 0}
	for _, in := range insts {
		if in.Records {
			d.Instruments = append(d.Instruments, in)
		}
	}
	return d, nil
}

// NewRecord shows the form to enter a participation record.
func (h *Handler) NewRecord(w http.ResponseWriter, r *http.Request) {
	if err := access.Check(access.FromContext(r.Context()), access.ManageTreaties, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	rec := treaty.Record{Instrument: q.Get("instrument"), Participant: q.Get("participant"), Action: treaty.Ratification,
		RecordsAsOf: civil.Today(), Source: "Depositary notification"}
	d, err := h.recordData(r, rec)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "record", "treaties", d)
}

// recordFromForm reads the record form, with an instrument's alias turned
// into its number; a bad date is named by its field.
func (h *Handler) recordFromForm(r *http.Request) (treaty.Record, error) {
	f := r.PostForm
	rec := treaty.Record{Instrument: f.Get("instrument"), Participant: strings.ToUpper(f.Get("participant")),
		Action: treaty.Action(f.Get("action")), Declarations: strings.TrimSpace(strings.ReplaceAll(f.Get("declarations"), "\r\n", "\n")),
		Source: strings.TrimSpace(f.Get("source")), Exception: strings.TrimSpace(f.Get("exception"))}
	for _, fd := range []struct {
		name string
		dst  *civil.Date
	}{{"date", &rec.Date}, {"effective", &rec.Effective}, {"records_as_of", &rec.RecordsAsOf}} {
		if s := f.Get(fd.name); s != "" {
			d, err := civil.Parse(s)
			if err != nil {
				return rec, fail.Field(fd.name, "%v", err)
			}
			*fd.dst = d
		}
	}
	if in, err := h.treaties.Instrument(r.Context(), rec.Instrument); err == nil {
		rec.Instrument = in.ID
	}
	return rec, nil
}

// CreateRecord handles the record form.
func (h *Handler) CreateRecord(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	rec, err := h.recordFromForm(r)
	if err == nil {
		rec, err = h.store.AddRecord(r.Context(), by, rec)
	}
	if err != nil {
		h.recordFailed(w, r, rec, err)
		return
	}
	redirectDone(w, r, "/treaties/"+rec.Instrument+"?date="+rec.Date.String(), "record_created")
}

func (h *Handler) recordFailed(w http.ResponseWriter, r *http.Request, rec treaty.Record, err error) {
	e := fail.As(err)
	if e == nil || (e.Kind != fail.Invalid && e.Kind != fail.Conflict) {
		h.Error(w, r, err)
		return
	}
	d, derr := h.recordData(r, rec)
	if derr != nil {
		h.Error(w, r, derr)
		return
	}
	d.Err, d.ErrFor = e.Message, e.Field
	h.render(w, r, fail.Status(err), "record", "treaties", d)
}

// EditRecord shows the form to correct or withdraw a record.
func (h *Handler) EditRecord(w http.ResponseWriter, r *http.Request) {
	if err := access.Check(access.FromContext(r.Context()), access.ManageTreaties, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	rec, err := h.store.Record(r.Context(), id)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	d, err := h.recordData(r, rec)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "record", "treaties", d)
}

// UpdateRecord handles the correction form.
func (h *Handler) UpdateRecord(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	rec, err := h.recordFromForm(r)
	rec.ID = id
	if err == nil {
		rec, err = h.store.UpdateRecord(r.Context(), access.FromContext(r.Context()), rec)
	}
	if err != nil {
		h.recordFailed(w, r, rec, err)
		return
	}
	redirectDone(w, r, "/treaties/"+rec.Instrument+"?date="+rec.Date.String(), "record_updated")
}

// RetractRecord handles the withdraw button of a record.
func (h *Handler) RetractRecord(w http.ResponseWriter, r *http.Request) {
	id, ok := h.idOf(w, r)
	if !ok {
		return
	}
	rec, err := h.store.RetractRecord(r.Context(), access.FromContext(r.Context()), id, r.PostForm.Get("reason"))
	if err != nil {
		h.recordFailed(w, r, rec, err)
		return
	}
	redirectDone(w, r, "/treaties/"+rec.Instrument, "record_retracted")
}

type importPage struct {
	Result *treaty.ImportResult
	Rows   []treaty.RowError
	Err    string
}

// ImportForm shows the form to import records from CSV.
func (h *Handler) ImportForm(w http.ResponseWriter, r *http.Request) {
	if err := access.Check(access.FromContext(r.Context()), access.ManageTreaties, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "import", "treaties", importPage{})
}

// Import handles an uploaded CSV file: checked, and stored unless the
// secretariat asked for a dry run.
func (h *Handler) Import(w http.ResponseWriter, r *http.Request) {
	by := access.FromContext(r.Context())
	if err := access.Check(by, access.ManageTreaties, ""); err != nil {
		h.Error(w, r, err)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "import", "treaties", importPage{Err: h.Locale(r).T("import.no_file")})
		return
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		h.Error(w, r, formError(err))
		return
	}
	dry := r.FormValue("commit") != "yes"
	res, err := h.treaties.Import(r.Context(), by, bytes.NewReader(body), dry)
	var ie *treaty.ImportError
	switch {
	case errors.As(err, &ie):
		h.render(w, r, http.StatusUnprocessableEntity, "import", "treaties", importPage{Rows: ie.Rows})
		return
	case err != nil && fail.Status(err) < 500:
		h.render(w, r, fail.Status(err), "import", "treaties", importPage{Err: h.message(r, err)})
		return
	case err != nil:
		h.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "import", "treaties", importPage{Result: &res})
}
