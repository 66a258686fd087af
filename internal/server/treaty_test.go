package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
	"github.com/cpcj/cpcj/internal/treaty"
)

// statusBody is the answer of GET /api/v1/instruments/{id}/status as a
// client reads it.
type statusBody struct {
	Instrument struct {
		ID string `json:"id"`
	} `json:"instrument"`
	Date           string        `json:"date"`
	Parties        int           `json:"parties"`
	StatesParties  int           `json:"states_parties"`
	Signatories    int           `json:"signatories"`
	EntryIntoForce string        `json:"entry_into_force"`
	InForce        bool          `json:"in_force"`
	PartyList      []statusEntry `json:"party_list"`
	SignatoryList  []statusEntry `json:"signatory_list"`
	NotParty       map[string][]struct {
		Code string `json:"code"`
	} `json:"member_states_not_party"`
}

type statusEntry struct {
	Code           string `json:"code"`
	Participant    string `json:"participant"`
	Name           string `json:"name"`
	Signed         string `json:"signed"`
	Consented      string `json:"consented"`
	Action         string `json:"action"`
	EntryIntoForce string `json:"entry_into_force"`
}

// status asks the API for an instrument's status.
func (h *harness) status(t *testing.T, path string) statusBody {
	t.Helper()
	var s statusBody
	decodeJSON(t, h.get(t, path, nil), http.StatusOK, &s)
	return s
}

func TestInstrumentStatusAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		s := h.status(t, "/api/v1/instruments/XVIII-12/status?date=2013-12-18")
		if s.Instrument.ID != "XVIII-12" || s.Date != "2013-12-18" || s.Parties != 179 || s.StatesParties != 178 || s.Signatories != 147 ||
			s.EntryIntoForce != "2003-09-29" || !s.InForce {
			t.Errorf("UNTOC on 2013-12-18: %s %s, %d parties, %d States parties, %d signatories, in force %v since %s; want 179, 178, 147, since 2003-09-29",
				s.Instrument.ID, s.Date, s.Parties, s.StatesParties, s.Signatories, s.InForce, s.EntryIntoForce)
		}
		if len(s.PartyList) != 179 {
			t.Fatalf("%d parties listed, want 179", len(s.PartyList))
		}
		signed := len(s.SignatoryList)
		party := map[string]bool{}
		for _, e := range s.PartyList {
			party[e.Code] = true
			if e.Signed != "" {
				signed++
			}
			if e.Consented == "" || e.Action == "" || e.Name == "" {
				t.Errorf("party %+v lacks its deposit, action or name", e)
			}
		}
		for _, e := range s.SignatoryList {
			if party[e.Code] || e.Signed == "" || e.Consented != "" {
				t.Errorf("signatory not party %+v", e)
			}
		}
		if signed != 147 {
			t.Errorf("%d signatories in the lists, want 147", signed)
		}
		if i := slices.IndexFunc(s.PartyList, func(e statusEntry) bool { return e.Code == "FRA" }); i < 0 {
			t.Error("France is not listed among the parties")
		} else if fra := s.PartyList[i]; fra.Signed != "2000-12-12" || fra.Consented != "2002-10-29" ||
			fra.Action != "ratification" || fra.EntryIntoForce != "2003-09-29" || fra.Name != "France" {
			t.Errorf("France: %+v", fra)
		}
		if first, last := s.PartyList[0], s.PartyList[len(s.PartyList)-1]; first.Name != "Afghanistan" || last.Name != "Zimbabwe" {
			t.Errorf("the parties are not listed by name: %s first, %s last", first.Name, last.Name)
		}
		// Japan and Iran were not parties: listed by regional group; no
		// party is.
		notParty := map[string]bool{}
		for _, list := range s.NotParty {
			for _, m := range list {
				if party[m.Code] {
					t.Errorf("party %s listed among the Member States not party", m.Code)
				}
				notParty[m.Code] = true
			}
		}
		if !notParty["JPN"] || !notParty["IRN"] || notParty["FRA"] || len(s.NotParty["APG"]) == 0 {
			t.Errorf("Member States not party: %v", s.NotParty)
		}
		// Every Member State is a party or listed as not party.
		var members struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
		}
		decodeJSON(t, h.get(t, "/api/v1/states?kind=member_state&limit=500", nil), http.StatusOK, &members)
		if len(members.Items) != 193 {
			t.Fatalf("%d Member States, want 193", len(members.Items))
		}
		for _, m := range members.Items {
			if party[m.Code] == notParty[m.Code] {
				t.Errorf("Member State %s: party %v, listed as not party %v", m.Code, party[m.Code], notParty[m.Code])
			}
		}
		if len(notParty) != 193-175 {
			t.Errorf("%d Member States not party, want 18: 175 of the 178 States parties are Member States, with the Cook Islands, Niue and the Holy See", len(notParty))
		}

		// The alias, in any case, is the same instrument.
		for _, id := range []string{"UNTOC", "untoc", "xviii-12"} {
			a := h.status(t, "/api/v1/instruments/"+id+"/status?date=2013-12-18")
			if a.Instrument.ID != "XVIII-12" || a.Parties != 179 || a.StatesParties != 178 || a.Signatories != 147 {
				t.Errorf("%s on 2013-12-18: %s, %d, %d, %d", id, a.Instrument.ID, a.Parties, a.StatesParties, a.Signatories)
			}
		}

		// Without a date: today, when the shipped records give as many as
		// on the date they were taken.
		today := h.status(t, "/api/v1/instruments/UNTOC/status")
		asOf := h.status(t, "/api/v1/instruments/UNTOC/status?date=2015-03-14")
		if today.Date != civil.Today().String() || today.Parties != asOf.Parties || today.Signatories != asOf.Signatories {
			t.Errorf("without a date: %s, %d parties; want today (%s), %d parties", today.Date, today.Parties, civil.Today(), asOf.Parties)
		}

		// Before the fortieth deposit (2003-07-01), the entry into force is
		// not known yet; after it, it is, and comes on 2003-09-29.
		early := h.status(t, "/api/v1/instruments/UNTOC/status?date=2003-06-30")
		if early.InForce || early.EntryIntoForce != "" {
			t.Errorf("on 2003-06-30: in force %v, entry into force %q; want neither", early.InForce, early.EntryIntoForce)
		}
		for _, e := range early.PartyList {
			if e.EntryIntoForce != "" {
				t.Errorf("on 2003-06-30, %s: in force for it on %s", e.Code, e.EntryIntoForce)
			}
		}
		known := h.status(t, "/api/v1/instruments/UNTOC/status?date=2003-09-28")
		if known.InForce || known.EntryIntoForce != "2003-09-29" || known.Parties != 51 {
			t.Errorf("on 2003-09-28: in force %v, entry into force %q, %d parties; want not yet, 2003-09-29, 51", known.InForce, known.EntryIntoForce, known.Parties)
		}

		tomorrow := civil.Today().AddDays(1).String()
		for _, tt := range []struct {
			path   string
			status int
			field  string
			says   string
		}{
			{"/api/v1/instruments/UNTOC/status?date=18-12-2013", 400, "date", "YYYY-MM-DD"},
			{"/api/v1/instruments/UNTOC/status?date=2013-02-30", 400, "date", "YYYY-MM-DD"},
			{"/api/v1/instruments/UNTOC/status?date=", 200, "", ""},
			{"/api/v1/instruments/UNTOC/status?date=" + tomorrow, 400, "date", "in the future"},
			{"/api/v1/instruments/UNTOC/status?date=2000-11-14", 400, "date", "before XVIII-12 was adopted (2000-11-15)"},
			{"/api/v1/instruments/UNTOC/status?when=2013-12-18", 400, "when", ""},
			{"/api/v1/instruments/XVIII-99/status", 404, "", `"XVIII-99"`},
			{"/api/v1/instruments/TOKYO-1963/status?date=2013-12-18", 404, "", "its depositary is ICAO"},
			{"/api/v1/instruments/HAGUE-1970/status", 404, "", "Governments of the Russian Federation, United Kingdom, United States"},
		} {
			r := h.get(t, tt.path, nil)
			if tt.status == 200 {
				if r.status != 200 {
					t.Errorf("%s: %s", tt.path, r)
				}
				continue
			}
			p := problemOf(t, r, tt.status, tt.field)
			if !strings.Contains(p.Detail, tt.says) {
				t.Errorf("%s: detail %q does not say %q", tt.path, p.Detail, tt.says)
			}
		}
	})
}

// profileBody is the answer of GET /api/v1/states/{code}/treaties.
type profileBody struct {
	Items []struct {
		Instrument struct {
			ID string `json:"id"`
		} `json:"instrument"`
		Standing statusEntry `json:"standing"`
		Records  []struct {
			Action string `json:"action"`
			Date   string `json:"date"`
		} `json:"records"`
	} `json:"items"`
	Total int `json:"total"`
}

func TestStateTreatiesAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		var p profileBody
		decodeJSON(t, h.get(t, "/api/v1/states/FRA/treaties", nil), http.StatusOK, &p)
		if len(p.Items) != 15 || p.Total != 15 {
			t.Fatalf("France's profile lists %d instruments (total %d), want the 15 with records", len(p.Items), p.Total)
		}
		want := map[string]statusEntry{
			"XVIII-12":   {Signed: "2000-12-12", Consented: "2002-10-29", Action: "ratification", EntryIntoForce: "2003-09-29"},
			"XVIII-12-a": {Signed: "2000-12-12", Consented: "2002-10-29", Action: "ratification", EntryIntoForce: "2003-12-25"},
			"XVIII-12-b": {Signed: "2000-12-12", Consented: "2002-10-29", Action: "ratification", EntryIntoForce: "2004-01-28"},
			"XVIII-12-c": {},
			"XVIII-14":   {Signed: "2003-12-09", Consented: "2005-07-11", Action: "ratification", EntryIntoForce: "2005-12-14"},
			"VI-15":      {Consented: "1969-02-19", Action: "accession"},
			"VI-18":      {Consented: "1975-09-04", Action: "participation_via_1972_protocol"},
			"VI-19":      {Signed: "1989-02-13", Consented: "1990-12-31", Action: "approval"},
			"XVIII-15":   {Signed: "2005-09-14", Consented: "2013-09-11", Action: "ratification"},
		}
		seen := map[string]bool{}
		for _, it := range p.Items {
			seen[it.Instrument.ID] = true
			if it.Standing.Participant != "FRA" {
				t.Errorf("%s: standing of %q", it.Instrument.ID, it.Standing.Participant)
			}
			w, ok := want[it.Instrument.ID]
			if !ok {
				continue
			}
			got := it.Standing
			got.Participant = ""
			if got != w {
				t.Errorf("France in %s: %+v, want %+v", it.Instrument.ID, got, w)
			}
			if it.Instrument.ID == "XVIII-12-c" && len(it.Records) != 0 {
				t.Errorf("France has records for the Firearms Protocol: %+v", it.Records)
			}
		}
		if len(seen) != 15 {
			t.Errorf("%d distinct instruments, want 15", len(seen))
		}

		// On a date, what was known that day.
		p = profileBody{}
		decodeJSON(t, h.get(t, "/api/v1/states/fra/treaties?date=2003-01-01", nil), http.StatusOK, &p)
		for _, it := range p.Items {
			switch it.Instrument.ID {
			case "XVIII-12":
				if s := it.Standing; s.Consented != "2002-10-29" || s.EntryIntoForce != "" {
					t.Errorf("France in UNTOC on 2003-01-01: %+v; want a party, the entry into force not yet known", s)
				}
			case "XVIII-14":
				if s := it.Standing; s.Consented != "" || s.Signed != "" {
					t.Errorf("France in UNCAC on 2003-01-01, before its adoption: %+v", s)
				}
			}
		}
		problemOf(t, h.get(t, "/api/v1/states/XXX/treaties", nil), 404, "")
		problemOf(t, h.get(t, "/api/v1/states/FRA/treaties?date=2003-13-01", nil), 400, "date")
	})
}

var countRe = regexp.MustCompile(`id="count-(parties|states|signatories)">([^<]*)<`)

// counts reads the counts of an instrument's page.
func counts(t *testing.T, r response) map[string]int {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d\n%s", r.status, r)
	}
	out := map[string]int{}
	for _, m := range countRe.FindAllStringSubmatch(r.body, -1) {
		n, err := strconv.Atoi(strings.NewReplacer(",", "", " ", "", "\u00a0", "", "\u202f", "").Replace(m[2]))
		if err != nil {
			t.Fatalf("count-%s is %q", m[1], m[2])
		}
		out[m[1]] = n
	}
	if len(out) != 3 {
		t.Fatalf("the page shows counts %v, want parties, States and signatories", out)
	}
	return out
}

func TestInstrumentPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		before := h.get(t, "/treaties/XVIII-12?date=2003-09-28", nil)
		if c := counts(t, before); c["parties"] != 51 || c["states"] != 51 || c["signatories"] != 147 {
			t.Errorf("UNTOC on 2003-09-28: %v; want 51 parties, 51 States, 147 signatories", c)
		}
		if strings.Contains(before.body, "In force since") || !strings.Contains(before.body, "Not yet in force on this date.") {
			t.Error("on 2003-09-28 the page does not say UNTOC is not yet in force")
		}
		on := h.get(t, "/treaties/XVIII-12?date=2003-09-29", nil)
		if c := counts(t, on); c["parties"] != 52 || c["states"] != 52 || c["signatories"] != 147 {
			t.Errorf("UNTOC on 2003-09-29: %v; want 52 parties, 52 States, 147 signatories", c)
		}
		if !strings.Contains(on.body, "In force since") {
			t.Error("on 2003-09-29 the page does not say UNTOC is in force")
		}
		if c := counts(t, h.get(t, "/treaties/XVIII-12?date=2013-12-18", nil)); c["parties"] != 179 || c["states"] != 178 || c["signatories"] != 147 {
			t.Errorf("UNTOC on 2013-12-18: %v; want 179, 178, 147", c)
		}
		// An alias leads to the number, date kept.
		r := h.get(t, "/treaties/untoc?date=2003-09-29", nil)
		if r.status != http.StatusMovedPermanently || r.header.Get("Location") != "/treaties/XVIII-12?date=2003-09-29" {
			t.Errorf("/treaties/untoc: %d to %q", r.status, r.header.Get("Location"))
		}
		// An instrument without records says so, and shows no count.
		r = h.get(t, "/treaties/TOKYO-1963", nil)
		if r.status != http.StatusOK || strings.Contains(r.body, `id="count-parties"`) || !strings.Contains(r.body, "its depositary is ICAO") {
			t.Errorf("/treaties/TOKYO-1963: %s", r)
		}
		if r := h.get(t, "/treaties/XVIII-99", nil); r.status != http.StatusNotFound {
			t.Errorf("/treaties/XVIII-99: %d", r.status)
		}
	})
}

func TestAnnexDownloads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		r := h.get(t, "/treaties/annex?date=2013-12-18&format=csv", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			r.header.Get("Content-Disposition") != `attachment; filename="status-annex-2013-12-18.csv"` {
			t.Fatalf("annex as CSV: %d %q %q", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
		}
		cr := csv.NewReader(strings.NewReader(r.body))
		cr.FieldsPerRecord = -1
		lines, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("annex CSV: %v", err)
		}
		if len(lines) < 3 || lines[0][0] != "participant" || len(lines[0]) != 2+4*4 {
			t.Fatalf("annex CSV header %q", lines[0])
		}
		total := lines[len(lines)-2]
		if total[0] != "Total" || total[2] != "147 signatories" || total[3] != "179 parties" || total[4] != "178 States parties" {
			t.Errorf("annex CSV totals %q", total)
		}
		if last := lines[len(lines)-1]; last[0] != "Status as of 2013-12-18, from the depositary records as of 2015-03-14." || strings.Join(last[1:], "") != "" {
			t.Errorf("annex CSV last line %q", last)
		}

		r = h.get(t, "/treaties/annex?date=2013-12-18&format=xlsx&instrument=UNTOC&instrument=XVIII-14", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			r.header.Get("Content-Disposition") != `attachment; filename="status-annex-2013-12-18.xlsx"` {
			t.Fatalf("annex as XLSX: %d %q %q", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
		}
		f, err := excelize.OpenReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatalf("the workbook does not open: %v", err)
		}
		defer f.Close()
		rows, err := f.GetRows("Status")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 4 || rows[2][2] != "XVIII-12 signature" || rows[2][6] != "XVIII-14 signature" {
			t.Fatalf("workbook rows %q", rows[:min(len(rows), 4)])
		}
		if total := rows[len(rows)-1]; total[0] != "Total" || total[3] != "179 parties" {
			t.Errorf("workbook totals %q", total)
		}

		// Without a date, today's.
		r = h.get(t, "/treaties/annex?format=csv", nil)
		if want := fmt.Sprintf(`attachment; filename="status-annex-%s.csv"`, civil.Today()); r.header.Get("Content-Disposition") != want {
			t.Errorf("annex without a date: %q, want %q", r.header.Get("Content-Disposition"), want)
		}
		if r := h.get(t, "/treaties/annex?instrument=TOKYO-1963&format=csv", nil); r.status != http.StatusBadRequest {
			t.Errorf("annex of an instrument without records: %d", r.status)
		}
	})
}

var annexRowRe = regexp.MustCompile(`(?s)<tr><th scope="row">(.*?)</tr>`)
var cellRe = regexp.MustCompile(`(?s)<td>(.*?)</td>`)

func TestAnnexPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		r := h.get(t, "/treaties/annex?instrument=XVIII-12&date=2013-12-18", nil)
		if r.status != http.StatusOK {
			t.Fatalf("annex: %s", r)
		}
		tbody, _, _ := strings.Cut(r.body, "<tfoot>")
		rows := annexRowRe.FindAllStringSubmatch(tbody, -1)
		parties := 0
		for _, row := range rows {
			cells := cellRe.FindAllStringSubmatch(row[1], -1)
			if len(cells) != 2 {
				t.Fatalf("annex row with %d cells: %s", len(cells), row[0])
			}
			if strings.TrimSpace(cells[1][1]) != "" {
				parties++
			}
		}
		if len(rows) != 185 || parties != 179 {
			t.Errorf("the annex has %d rows, %d with a deposit; want 185 (179 parties and 6 signatories)", len(rows), parties)
		}
		_, foot, _ := strings.Cut(r.body, "<tfoot>")
		foot = html.UnescapeString(foot)
		for _, s := range []string{"147 signatories", "179 parties", "of which 178 States"} {
			if !strings.Contains(foot, s) {
				t.Errorf("the annex's totals do not say %q", s)
			}
		}
	})
}

// form is the record form's fields for a record.
func form(instrument, participant, action, date string) url.Values {
	return url.Values{"instrument": {instrument}, "participant": {participant}, "action": {action}, "date": {date},
		"source": {"Depositary notification C.N.42.2015.TREATIES-XVIII.12"}, "records_as_of": {"2015-03-14"}}
}

func TestRecordForm(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, secretariatKey)
		sec := h.actors[secretariatKey]
		page := "/treaties/XVIII-12?date=2015-03-01"
		before := counts(t, h.get(t, page, nil))

		for _, tt := range []struct {
			name   string
			form   url.Values
			status int
			says   string
		}{
			{"deposit while a party", form("XVIII-12", "FRA", "ratification", "2010-01-01"), http.StatusConflict, "FRA is a party to XVIII-12 already, since 2002-10-29"},
			{"protocol first", form("XVIII-12-a", "JPN", "acceptance", "2015-03-01"), http.StatusBadRequest, "UNTOC art. 37(2)"},
			{"withdrawal of a non-party", form("XVIII-12", "JPN", "withdrawal", "2015-03-01"), http.StatusBadRequest, "so it cannot withdraw"},
			{"second signature", form("XVIII-12", "JPN", "signature", "2015-03-01"), http.StatusConflict, "JPN signed XVIII-12 already"},
			{"bad date", form("XVIII-12", "JPN", "acceptance", "1 March 2015"), http.StatusBadRequest, "is not a date in the form YYYY-MM-DD"},
		} {
			r := h.do(t, call{method: "POST", path: "/treaties/records", as: sec, form: tt.form})
			if r.status != tt.status || !strings.Contains(html.UnescapeString(r.body), tt.says) || !strings.Contains(r.body, `id="record-error"`) {
				t.Errorf("%s: %d, want %d with the form again saying %q\n%s", tt.name, r.status, tt.status, tt.says, r)
			}
			// The form comes back with what was typed.
			if tt.name != "bad date" && !strings.Contains(r.body, `value="`+tt.form.Get("date")+`"`) {
				t.Errorf("%s: the form lost its date", tt.name)
			}
		}
		if c := counts(t, h.get(t, page, nil)); c["parties"] != before["parties"] {
			t.Errorf("refused records changed the count: %v, then %v", before, c)
		}

		r := h.do(t, call{method: "POST", path: "/treaties/records", as: sec, form: form("XVIII-12", "JPN", "acceptance", "2015-03-01")})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/treaties/XVIII-12?date=2015-03-01&done=record_created" {
			t.Fatalf("valid record: %d to %q\n%s", r.status, r.header.Get("Location"), r)
		}
		after := counts(t, h.get(t, r.header.Get("Location"), nil))
		if after["parties"] != before["parties"]+1 || after["states"] != before["states"]+1 || after["signatories"] != before["signatories"] {
			t.Errorf("after Japan's acceptance: %v; before %v", after, before)
		}

		// A record stored by another server, here straight into the
		// database, shows too: the service checks the records' version.
		if _, err := db.AddRecord(context.Background(), sec.user.Actor(), treaty.Record{Instrument: "XVIII-12", Participant: "IRN",
			Action: treaty.Ratification, Date: civil.MustParse("2015-02-01"), Source: "test", RecordsAsOf: civil.MustParse("2015-03-14")}); err != nil {
			t.Fatal(err)
		}
		if c := counts(t, h.get(t, page, nil)); c["parties"] != before["parties"]+2 {
			t.Errorf("after a record stored elsewhere: %v; want %d parties", c, before["parties"]+2)
		}
		// And through the API, which does not tell the service.
		r = h.do(t, call{method: "POST", path: "/api/v1/participation", as: sec, via: viaToken,
			body: `{"instrument":"untoc","participant":"brb","action":"accession","date":"2015-01-15","source":"test","records_as_of":"2015-03-14"}`})
		var created treaty.Record
		decodeJSON(t, r, http.StatusCreated, &created)
		if created.Instrument != "XVIII-12" || created.Participant != "BRB" || r.header.Get("Location") != fmt.Sprintf("/api/v1/participation/%d", created.ID) {
			t.Errorf("created %+v at %q", created, r.header.Get("Location"))
		}
		if c := counts(t, h.get(t, page, nil)); c["parties"] != before["parties"]+3 {
			t.Errorf("after a record through the API: %v; want %d parties", c, before["parties"]+3)
		}
		s := h.status(t, "/api/v1/instruments/UNTOC/status?date=2015-03-01")
		if s.Parties != before["parties"]+3 {
			t.Errorf("the API counts %d parties, want %d", s.Parties, before["parties"]+3)
		}
	})
}

// exportCSV returns every record as the API exports it.
func (h *harness) exportCSV(t *testing.T, query string) string {
	t.Helper()
	r := h.get(t, "/api/v1/participation?format=csv"+query, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("export: %s", r)
	}
	return r.body
}

// importCSV posts a CSV file to the import as the actor.
func (h *harness) importCSV(t *testing.T, as *actor, body string, dryRun bool) response {
	t.Helper()
	path := "/api/v1/participation/import"
	if dryRun {
		path += "?dry_run=true"
	}
	return h.do(t, call{method: "POST", path: path, as: as, via: viaToken, body: body, ctype: "text/csv"})
}

// snapshotOf is what status says of every instrument with records on the
// dates, from the database: the counts and the entry into force on every
// date, computed as the service does; and on every hundredth date the
// service's whole report, lists included.
func snapshotOf(t *testing.T, db *store.DB, dates []civil.Date) map[string]string {
	t.Helper()
	ctx := context.Background()
	insts, err := db.Instruments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := db.Participants(ctx, state.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	isState := map[string]bool{}
	for _, p := range ps {
		isState[p.Code] = p.IsState()
	}
	all, err := db.Records(ctx, treaty.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	records := map[string][]treaty.Record{}
	for _, r := range all {
		records[r.Instrument] = append(records[r.Instrument], r)
	}
	byID := map[string]treaty.Instrument{}
	for _, in := range insts {
		byID[in.ID] = in
	}
	svc := treaty.NewService(db, db)
	out := map[string]string{}
	for _, in := range insts {
		if !in.Records {
			continue
		}
		var parentEIF civil.Date
		if p, ok := byID[in.Parent]; ok {
			parentEIF, _ = treaty.EntryIntoForce(p, records[p.ID], civil.Date{}, nil)
		}
		for i, d := range dates {
			if d.Before(in.Adopted) {
				continue
			}
			st := treaty.Compute(in, records[in.ID], d, func(code string) bool { return isState[code] }, parentEIF)
			out[in.ID+" "+d.String()] = fmt.Sprintf("%d parties, %d States parties, %d signatories, in force %v since %s (threshold %s)",
				st.Parties, st.StatesParties, st.Signatories, st.InForce, st.EntryIntoForce, st.ThresholdReached)
			if i%100 != 0 {
				continue
			}
			rep, err := svc.Status(ctx, in.ID, d)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			out[in.ID+" "+d.String()+" report"] = string(b)
		}
	}
	return out
}

// The round trip of the issue: every record exported as CSV and imported
// into a fresh database gives the same status for every instrument, on
// every date a record is dated, the day before, and a few others.
func TestParticipationRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, secretariatKey)
		sec := h.actors[secretariatKey]
		// Records of every kind the shipped data lacks: a withdrawal and a
		// return, a historical exception, declarations over several lines
		// with commas and quotes, the European Union.
		for _, body := range []string{
			`{"instrument":"UNTOC","participant":"FRA","action":"withdrawal","date":"2014-01-15","effective":"2014-07-15","source":"C.N.1.2014, of 15 January 2014","records_as_of":"2015-03-14"}`,
			`{"instrument":"UNTOC","participant":"FRA","action":"accession","date":"2015-01-05","source":"C.N.2.2015","records_as_of":"2015-03-14",` +
				`"declarations":"Réserve, article 35, § 2:\n« La République française » déclare, \"conformément\" à l'article 35…"}`,
			`{"instrument":"TIP","participant":"JPN","action":"acceptance","date":"2014-06-01","source":"C.N.3.2014","records_as_of":"2015-03-14","exception":"accepted by the depositary before Japan joined the Convention"}`,
			`{"instrument":"UNCAC","participant":"IRN","action":"withdrawal","date":"2015-02-01","source":"C.N.4.2015","records_as_of":"2015-03-14"}`,
		} {
			r := h.do(t, call{method: "POST", path: "/api/v1/participation", as: sec, via: viaToken, body: body})
			if r.status != http.StatusCreated {
				t.Fatalf("create %s: %s", body, r)
			}
		}
		export := h.exportCSV(t, "")

		fresh := storetest.Open(t, db.Engine())
		h2 := newHarness(t, fresh, secretariatKey)
		sec2 := h2.actors[secretariatKey]
		v, err := fresh.RecordsVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}

		// A dry run stores nothing.
		var res treaty.ImportResult
		decodeJSON(t, h2.importCSV(t, sec2, export, true), http.StatusOK, &res)
		rows, err := csv.NewReader(strings.NewReader(export)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !res.DryRun || len(res.Instruments) != 15 || res.Records != len(rows)-1 || res.Records != 3563+4 {
			t.Errorf("dry run = %+v", res)
		}
		if v2, _ := fresh.RecordsVersion(context.Background()); v2 != v || h2.exportCSV(t, "") == export {
			t.Error("a dry run stored the records")
		}

		decodeJSON(t, h2.importCSV(t, sec2, export, false), http.StatusOK, &res)
		if res.DryRun || len(res.Instruments) != 15 || res.Replaced != 3563 {
			t.Errorf("import = %+v; want 15 instruments, the 3563 shipped records replaced", res)
		}
		if again := h2.exportCSV(t, ""); again != export {
			t.Errorf("the export of the imported records differs from the file imported: %s", firstLineDiff(export, again))
		}

		// Every date a record is dated or takes effect, the day before,
		// and a few others.
		all, err := db.Records(context.Background(), treaty.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[civil.Date]bool{}
		var dates []civil.Date
		add := func(d civil.Date) {
			if !d.IsZero() && !seen[d] && !d.After(civil.Today()) {
				seen[d] = true
				dates = append(dates, d)
			}
		}
		for _, r := range all {
			for _, d := range []civil.Date{r.Date, r.Effective} {
				add(d)
				add(d.AddDays(-1))
			}
		}
		for _, s := range []string{"1961-03-30", "2000-11-15", "2003-09-29", "2013-12-18", "2015-03-14"} {
			add(civil.MustParse(s))
		}
		add(civil.Today())
		want, got := snapshotOf(t, db, dates), snapshotOf(t, fresh, dates)
		if len(want) < 20000 {
			t.Errorf("only %d statuses compared", len(want))
		}
		diffs := 0
		for k, w := range want {
			if got[k] != w {
				if diffs++; diffs <= 10 {
					t.Errorf("%s: %s after the round trip, %s before", k, got[k], w)
				}
			}
		}
		if len(got) != len(want) || diffs > 0 {
			t.Errorf("%d of %d statuses differ", diffs, len(want))
		}
		// The records the round trip added count as they should.
		s := h2.status(t, "/api/v1/instruments/UNTOC/status?date=2014-07-15")
		if s.Parties != 178 || slices.ContainsFunc(s.PartyList, func(e statusEntry) bool { return e.Code == "FRA" }) {
			t.Errorf("on 2014-07-15, when France's withdrawal took effect: %d parties", s.Parties)
		}
	})
}

// firstLineDiff describes where two texts part.
func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n %q\n %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines, then %d", len(al), len(bl))
}

// importProblem is a refused import as a client reads it.
type importProblem struct {
	problem
	Rows []treaty.RowError `json:"rows"`
}

func TestParticipationImportRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, secretariatKey, focalPointKey)
		sec := h.actors[secretariatKey]
		ctx := context.Background()
		v, err := db.RecordsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		unchanged := func(name string) {
			t.Helper()
			if v2, err := db.RecordsVersion(ctx); err != nil || v2 != v {
				t.Errorf("%s stored something (version %d, then %d, %v)", name, v, v2, err)
			}
		}
		uncac := h.exportCSV(t, "&instrument=UNCAC")
		lines := strings.Split(strings.TrimSuffix(uncac, "\n"), "\n")
		if len(lines) != 312 || lines[0] != strings.Join(treaty.CSVHeader, ",") {
			t.Fatalf("UNCAC's export has %d lines, header %q", len(lines), lines[0])
		}

		// One bad row among good ones: nothing is stored, and the problem
		// names the row by its line with the reason.
		bad := slices.Clone(lines)
		fields := strings.SplitN(bad[100], ",", 3)
		bad[100] = fields[0] + ",ZZZ," + fields[2]
		r := h.importCSV(t, sec, strings.Join(bad, "\n")+"\n", false)
		if r.status != http.StatusUnprocessableEntity || r.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("import with a bad row: %s", r)
		}
		var p importProblem
		if err := json.Unmarshal([]byte(r.body), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 1 || p.Rows[0].Line != 101 || p.Rows[0].Field != "participant" || !strings.Contains(p.Rows[0].Reason, `"ZZZ" is not a known participant code`) ||
			p.Status != 422 || !strings.Contains(p.Detail, "Nothing was stored") || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Field, "line 101") {
			t.Errorf("problem of the import with a bad row: %+v", p)
		}
		unchanged("an import with a bad row")

		// The dry run of the same file says the same.
		if r := h.importCSV(t, sec, strings.Join(bad, "\n")+"\n", true); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"line":101`) {
			t.Errorf("dry run with a bad row: %s", r)
		}
		unchanged("a dry run with a bad row")

		// Only the Trafficking Protocol's rows: checked against the
		// Convention's records stored. Japan is no party to UNTOC.
		tip := h.exportCSV(t, "&instrument=TIP")
		var res treaty.ImportResult
		decodeJSON(t, h.importCSV(t, sec, tip, true), http.StatusOK, &res)
		if res.Instruments[0] != "XVIII-12-a" || len(res.Instruments) != 1 || res.Records != res.Replaced {
			t.Errorf("dry run of the Protocol's own records: %+v", res)
		}
		unchanged("a dry run")
		withJapan := tip + "XVIII-12-a,JPN,acceptance,2015-03-01,,,C.N.5.2015,2015-03-14,\n"
		r = h.importCSV(t, sec, withJapan, false)
		p = importProblem{}
		if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.status != 422 {
			t.Fatalf("import of the Protocol with Japan: %s", r)
		}
		if n := strings.Count(withJapan, "\n"); len(p.Rows) != 1 || p.Rows[0].Line != n || !strings.Contains(p.Rows[0].Reason, "UNTOC art. 37(2)") {
			t.Errorf("rows rejected %+v, want line %d under art. 37(2)", p.Rows, n)
		}
		unchanged("the Protocol's import with Japan")

		// Only the secretariat and admins import.
		if r := h.importCSV(t, h.actors[focalPointKey], tip, false); r.status != http.StatusForbidden {
			t.Errorf("import by a focal point: %d", r.status)
		}
		if r := h.do(t, call{method: "POST", path: "/api/v1/participation/import", body: tip, ctype: "text/csv"}); r.status != http.StatusUnauthorized {
			t.Errorf("import by the public: %d", r.status)
		}
		unchanged("a refused import")

		// With Japan a party to UNTOC first, the file is stored.
		if _, err := db.AddRecord(ctx, sec.user.Actor(), treaty.Record{Instrument: "XVIII-12", Participant: "JPN", Action: treaty.Acceptance,
			Date: civil.MustParse("2015-03-01"), Source: "C.N.6.2015", RecordsAsOf: civil.MustParse("2015-03-14")}); err != nil {
			t.Fatal(err)
		}
		decodeJSON(t, h.importCSV(t, sec, withJapan, false), http.StatusOK, &res)
		if s := h.status(t, "/api/v1/instruments/TIP/status?date=2015-03-14"); !slices.ContainsFunc(s.PartyList, func(e statusEntry) bool { return e.Code == "JPN" }) {
			t.Error("after the import Japan is no party to the Protocol")
		}
	})
}
