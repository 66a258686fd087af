package treaty

import (
	"cmp"
	"context"
	"io"
	"slices"
	"sort"
	"sync"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/state"
)

// Versioned is a Store that can say cheaply whether its records changed.
type Versioned interface {
	Store
	// RecordsVersion changes whenever a participation record is added,
	// corrected, retracted or imported, on any server.
	RecordsVersion(ctx context.Context) (int64, error)
}

// Service answers the status questions from the store. It keeps each
// instrument's records in memory and asks the database only whether they
// changed, so a status on any date costs one small query.
type Service struct {
	store  Versioned
	states state.Store

	mu      sync.Mutex
	version int64
	loaded  bool
	insts   []Instrument
	byKey   map[string]Instrument // by ID and alias, upper case
	records map[string][]Record   // by instrument
	kinds   map[string]state.Participant
	rank    map[string]int // participants' names: their place in English order
	force   map[string]force
	members map[string][]Member // Member States by regional group, in name order
}

// force is an instrument's entry into force and the date of the deposit
// that reached its threshold, as EntryIntoForce gives them with the
// parent's entry into force: the same on every date, so worked out once
// per load.
type force struct{ eif, nth civil.Date }

// NewService returns a Service over the stores.
func NewService(st Versioned, states state.Store) *Service {
	return &Service{store: st, states: states}
}

// snapshot is the data one answer is computed from.
type snapshot struct {
	insts   []Instrument
	byKey   map[string]Instrument
	records map[string][]Record
	parts   map[string]state.Participant
	rank    map[string]int
	force   map[string]force    // by instrument ID
	members map[string][]Member // Member States by regional group, in name order
}

// load returns the current data, reloading it if the records changed.
func (s *Service) load(ctx context.Context) (snapshot, error) {
	v, err := s.store.RecordsVersion(ctx)
	if err != nil {
		return snapshot{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded || v != s.version {
		insts, err := s.store.Instruments(ctx)
		if err != nil {
			return snapshot{}, err
		}
		all, err := s.store.Records(ctx, Filter{})
		if err != nil {
			return snapshot{}, err
		}
		ps, _, err := s.states.Participants(ctx, state.Filter{})
		if err != nil {
			return snapshot{}, err
		}
		s.insts, s.byKey, s.records, s.kinds = insts, map[string]Instrument{}, map[string][]Record{}, map[string]state.Participant{}
		for _, in := range insts {
			s.byKey[upper(in.ID)] = in
			s.byKey[upper(in.Alias)] = in
		}
		for _, r := range all {
			s.records[r.Instrument] = append(s.records[r.Instrument], r)
		}
		for _, p := range ps {
			s.kinds[p.Code] = p
		}
		s.rank = nameRanks(ps)
		s.members = map[string][]Member{}
		for _, p := range ps {
			if p.Kind == state.MemberState {
				s.members[p.RegionalGroup] = append(s.members[p.RegionalGroup], Member{Code: p.Code, Name: p.Name})
			}
		}
		for g := range s.members {
			sortByName(s.members[g], func(m Member) string { return m.Name }, s.rank)
		}
		s.force = map[string]force{}
		snap := snapshot{byKey: s.byKey, records: s.records, parts: s.kinds}
		for _, in := range insts {
			eif, nth := EntryIntoForce(in, s.records[in.ID], snap.parentEIF(in), snap.isState)
			s.force[in.ID] = force{eif, nth}
		}
		s.version, s.loaded = v, true
	}
	return snapshot{insts: s.insts, byKey: s.byKey, records: s.records, parts: s.kinds, rank: s.rank, force: s.force, members: s.members}, nil
}

// Invalidate makes the next answer reload its data, for tests and after
// the participants change.
func (s *Service) Invalidate() {
	s.mu.Lock()
	s.loaded = false
	s.mu.Unlock()
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Instruments lists the instruments.
func (s *Service) Instruments(ctx context.Context) ([]Instrument, error) {
	snap, err := s.load(ctx)
	return snap.insts, err
}

func (snap snapshot) instrument(idOrAlias string) (Instrument, error) {
	in, ok := snap.byKey[upper(idOrAlias)]
	if !ok {
		return in, fail.New(fail.NotFound, "No instrument has the number or alias %q.", idOrAlias)
	}
	return in, nil
}

func (snap snapshot) isState(code string) bool {
	p, ok := snap.parts[code]
	return ok && p.IsState()
}

// parentEIF is the date the parent of in entered into force, if its rule
// is recorded.
func (snap snapshot) parentEIF(in Instrument) civil.Date {
	if in.Parent == "" {
		return civil.Date{}
	}
	p, ok := snap.byKey[upper(in.Parent)]
	if !ok {
		return civil.Date{}
	}
	eif, _ := EntryIntoForce(p, snap.records[p.ID], civil.Date{}, snap.isState)
	return eif
}

// Instrument returns one instrument by number or alias.
func (s *Service) Instrument(ctx context.Context, idOrAlias string) (Instrument, error) {
	snap, err := s.load(ctx)
	if err != nil {
		return Instrument{}, err
	}
	return snap.instrument(idOrAlias)
}

// Report is the status of an instrument on a date, with the lists that
// the pages and the API show.
type Report struct {
	Instrument    Instrument          `json:"instrument"`
	Status                            // counts and entry into force
	PartyList     []Entry             `json:"party_list"`
	SignatoryList []Entry             `json:"signatory_list"`          // signed, not (or no longer) party
	NotParty      map[string][]Member `json:"member_states_not_party"` // Member States by regional group
}

// Member is a Member State in a list.
type Member struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Entry is one participant in a list.
type Entry struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Standing
}

// Status reports where an instrument stands on a date. An instrument for
// which cpcj keeps no records is NotFound for status purposes: it has no
// status to show, and zero would be a lie.
func (s *Service) Status(ctx context.Context, idOrAlias string, on civil.Date) (Report, error) {
	snap, err := s.load(ctx)
	if err != nil {
		return Report{}, err
	}
	in, err := snap.instrument(idOrAlias)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Instrument: in, NotParty: map[string][]Member{}}
	if !in.Records {
		return rep, &fail.Error{Kind: fail.NotFound, Message: "cpcj keeps no participation records for " + in.ID + " (" + in.ShortTitle + "): its depositary is " + in.Depositary + "."}
	}
	if on.Before(in.Adopted) {
		return rep, fail.Field("date", "%s is before %s was adopted (%s)", on, in.ID, in.Adopted)
	}
	f := snap.force[in.ID]
	rep.Status = compute(in, snap.records[in.ID], on, snap.isState, f.eif, f.nth)
	// The lists are made in the order of the participants' names, so
	// they are sorted as they are made.
	party := make(map[string]bool, rep.Parties)
	if rep.Parties > 0 {
		rep.PartyList = make([]Entry, 0, rep.Parties)
	}
	for _, i := range orderByName(rep.Standings, func(st Standing) string { return snap.parts[st.Participant].Name }, snap.rank) {
		st := rep.Standings[i]
		e := Entry{Code: st.Participant, Name: snap.parts[st.Participant].Name, Standing: st}
		if st.Party() {
			rep.PartyList = append(rep.PartyList, e)
			party[st.Participant] = true
		} else if !st.Signed.IsZero() {
			rep.SignatoryList = append(rep.SignatoryList, e)
		}
	}
	for g, ms := range snap.members {
		for _, m := range ms {
			if !party[m.Code] {
				rep.NotParty[g] = append(rep.NotParty[g], m)
			}
		}
	}
	return rep, nil
}

// Growth returns the parties at the end of each year up to a date.
func (s *Service) Growth(ctx context.Context, idOrAlias string, until civil.Date) ([]YearCount, error) {
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	in, err := snap.instrument(idOrAlias)
	if err != nil {
		return nil, err
	}
	return Growth(in, snap.records[in.ID], until, snap.isState), nil
}

// ProfileRow is one instrument in a participant's profile.
type ProfileRow struct {
	Instrument Instrument `json:"instrument"`
	Standing   Standing   `json:"standing"`
	Records    []Record   `json:"records"`
}

// Profile lists a participant's standing in every instrument with records,
// on a date.
func (s *Service) Profile(ctx context.Context, code string, on civil.Date) ([]ProfileRow, error) {
	snap, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := snap.parts[code]; !ok {
		return nil, fail.New(fail.NotFound, "No participant has the code %q.", code)
	}
	var out []ProfileRow
	for _, in := range snap.insts {
		if !in.Records {
			continue
		}
		var mine []Record
		for _, r := range snap.records[in.ID] {
			if r.Participant == code {
				mine = append(mine, r)
			}
		}
		row := ProfileRow{Instrument: in, Records: mine}
		st := Compute(in, mine, on, snap.isState, civil.Date{})
		if len(st.Standings) == 1 {
			row.Standing = st.Standings[0]
			// Entry into force for this participant depends on all deposits.
			eif, nth := EntryIntoForce(in, snap.records[in.ID], snap.parentEIF(in), snap.isState)
			// As Compute: not known before the threshold is reached.
			if row.Standing.Party() && !nth.After(on) {
				row.Standing.EntryIntoForce = participantEIF(in, eif, nth, row.Standing.Consented)
			}
		}
		row.Standing.Participant = code
		out = append(out, row)
	}
	return out, nil
}

// AnnexRow is one participant in the status annex.
type AnnexRow struct {
	Code, Name string
	Cells      []Standing // one per instrument, in the annex's order
}

// Annex is the "status of ratifications" table of the Secretary-General's
// report, for a set of instruments on a date.
type Annex struct {
	Date        civil.Date
	Instruments []Instrument
	Totals      []Status // per instrument
	Rows        []AnnexRow
	RecordsAsOf civil.Date
}

// Annex builds the status annex for the instruments on a date: every
// participant that signed or joined any of them, with its dates.
func (s *Service) Annex(ctx context.Context, ids []string, on civil.Date) (Annex, error) {
	snap, err := s.load(ctx)
	if err != nil {
		return Annex{}, err
	}
	// Each instrument once, whatever the request repeats: a long list of
	// the same one must not cost the server a table per copy.
	var insts []Instrument
	seen := map[string]bool{}
	for _, id := range ids {
		in, err := snap.instrument(id)
		if err != nil {
			return Annex{}, fail.Field("instrument", "%s", fail.As(err).Message)
		}
		if !seen[in.ID] {
			seen[in.ID] = true
			insts = append(insts, in)
		}
	}
	a := Annex{Date: on}
	rows := map[string]*AnnexRow{}
	for i, in := range insts {
		if !in.Records {
			return Annex{}, fail.Field("instruments", "cpcj keeps no participation records for %s: its depositary is %s", in.ID, in.Depositary)
		}
		a.Instruments = append(a.Instruments, in)
		if a.RecordsAsOf.IsZero() || in.RecordsAsOf.Before(a.RecordsAsOf) {
			a.RecordsAsOf = in.RecordsAsOf
		}
		f := snap.force[in.ID]
		st := compute(in, snap.records[in.ID], on, snap.isState, f.eif, f.nth)
		for _, sd := range st.Standings {
			row, ok := rows[sd.Participant]
			if !ok {
				row = &AnnexRow{Code: sd.Participant, Name: snap.parts[sd.Participant].Name, Cells: make([]Standing, len(insts))}
				rows[sd.Participant] = row
			}
			row.Cells[i] = sd
		}
		st.Standings = nil
		a.Totals = append(a.Totals, st)
	}
	for _, r := range rows {
		a.Rows = append(a.Rows, *r)
	}
	sortByName(a.Rows, func(r AnnexRow) string { return r.Name }, snap.rank)
	return a, nil
}

// ImportResult tells what an import did, or would do on a dry run.
type ImportResult struct {
	DryRun      bool     `json:"dry_run"`
	Records     int      `json:"records"`
	Instruments []string `json:"instruments"`
	Replaced    int      `json:"replaced"` // records of those instruments before the import
}

// Import reads participation records in the CSV form and, unless dryRun,
// replaces the records of every instrument the file names with them, in
// one transaction. A file with any bad row is refused whole with an
// *ImportError naming each one.
func (s *Service) Import(ctx context.Context, by access.Actor, r io.Reader, dryRun bool) (ImportResult, error) {
	if err := access.Check(by, access.ManageTreaties, ""); err != nil {
		return ImportResult{}, err
	}
	snap, err := s.load(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	cat := Catalog{Instruments: snap.byKey, Participants: map[string]bool{}, Today: civil.Today(), Stored: snap.records}
	for code := range snap.parts {
		cat.Participants[code] = true
	}
	rs, err := ReadCSV(r, cat)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{DryRun: dryRun, Records: len(rs)}
	seen := map[string]bool{}
	for _, rec := range rs {
		if !seen[rec.Instrument] {
			seen[rec.Instrument] = true
			res.Instruments = append(res.Instruments, rec.Instrument)
			res.Replaced += len(snap.records[rec.Instrument])
		}
	}
	sort.Strings(res.Instruments)
	if len(rs) == 0 {
		return res, fail.New(fail.Invalid, "The file has no records: nothing to import.")
	}
	if dryRun {
		return res, nil
	}
	return res, s.store.ReplaceRecords(ctx, by, res.Instruments, rs)
}

// nameRanks places the participants' names in the order an English reader
// expects, once per load: names that collate alike share a place, so that
// sorting by place is sorting by name.
func nameRanks(ps []state.Participant) map[string]int {
	names := make([]string, 0, len(ps))
	for _, p := range ps {
		names = append(names, p.Name)
	}
	c := state.Collator()
	sort.SliceStable(names, func(i, j int) bool { return c.CompareString(names[i], names[j]) < 0 })
	rank := make(map[string]int, len(names))
	place := 0
	for i, n := range names {
		if i > 0 && c.CompareString(names[i-1], n) != 0 {
			place = i
		}
		rank[n] = place
	}
	return rank
}

// sortByName sorts a list by the names of its items, as an English reader
// expects ("Côte d'Ivoire" before "Croatia"), stably. rank gives the
// names' places (nameRanks).
func sortByName[T any](list []T, name func(T) string, rank map[string]int) {
	order := orderByName(list, name, rank)
	sorted := make([]T, len(list))
	for i, at := range order {
		sorted[i] = list[at]
	}
	copy(list, sorted)
}

// orderByName returns the positions of a list's items in the order of a
// stable sort by their names (sortByName). A list with a name that rank
// does not place is ordered with the collator instead.
func orderByName[T any](list []T, name func(T) string, rank map[string]int) []int {
	order := make([]int, len(list))
	places := make([]int, len(list))
	for i, x := range list {
		order[i] = i
		place, ok := rank[name(x)]
		if !ok {
			for j := range order {
				order[j] = j
			}
			c := state.Collator()
			sort.SliceStable(order, func(i, j int) bool { return c.CompareString(name(list[order[i]]), name(list[order[j]])) < 0 })
			return order
		}
		places[i] = place
	}
	// Places, then positions: the order of a stable sort by name.
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(places[a], places[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}
