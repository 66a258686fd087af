package collect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cpcj/cpcj/data"
	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/fail"
	"github.com/cpcj/cpcj/internal/job"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// csvHead is the header of an SDMX-CSV answer.
const csvHead = "DATAFLOW,FREQ,REF_AREA,INDICATOR,ICCS,SEX,AGE,RELATIONSHIP,CYBER,SOURCE_TYPE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,OBS_STATUS,SOURCE_DETAIL,COMMENT,DERIVATION\n"

// uploadFixture is a round of the shipped tables for 2023, open, with
// Kenya's and France's focal points and the secretariat.
type uploadFixture struct {
	db          *store.DB
	svc         *collect.Service
	round       collect.Round
	sec, fp, fr access.Actor
}

func newUploadFixture(t *testing.T, db *store.DB) *uploadFixture {
	t.Helper()
	ctx := context.Background()
	mk := func(email string, role access.Role, state string) access.Actor {
		t.Helper()
		u, err := db.CreateUser(ctx, access.System("test"), account.User{Email: email, Name: email, Role: role, State: state}, "not a hash")
		if err != nil {
			t.Fatal(err)
		}
		return u.Actor()
	}
	f := &uploadFixture{db: db, sec: mk("sec@unodc.test", access.Secretariat, ""), fp: mk("fp@ken.test", access.FocalPoint, "KEN"),
		fr: mk("fp@fra.test", access.FocalPoint, "FRA")}
	f.svc = &collect.Service{Store: db, Stats: db, Notes: &notes{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}
	lists, err := db.Codelists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	flows, err := db.Dataflows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tables, _, err := collect.Shipped(data.FS, stats.NewStructure(lists, flows))
	if err != nil {
		t.Fatal(err)
	}
	today := civil.Today()
	if f.round, err = db.OpenRound(ctx, f.sec, collect.Round{Name: "UN-CTS 2023 (test)", Year: 2023, OpensOn: today.AddDays(-1), DueOn: today.AddDays(60), Tables: tables}); err != nil {
		t.Fatal(err)
	}
	return f
}

// workbook writes Kenya's questionnaire and lets edit fill it, as a focal
// point would in a spreadsheet program.
func (f *uploadFixture) workbook(t *testing.T, edit func(x *excelize.File)) []byte {
	t.Helper()
	wb, err := f.svc.Workbook(context.Background(), f.fp, f.round.ID, "KEN", "Kenya")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := collect.WriteWorkbook(&buf, wb); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	edit(x)
	out, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// setCell writes v in the column of a table's sheet whose hidden code is
// col ("value", "rate", "status", "comment"), on the row of the cell.
func setCell(t *testing.T, x *excelize.File, table, row, col string, v any) {
	t.Helper()
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil || len(rows) == 0 || len(rows[0]) == 0 || rows[0][0] != "cpcj:"+table {
			continue
		}
		c := -1
		for i, code := range rows[0] {
			if code == col {
				c = i
			}
		}
		for r, cells := range rows {
			if len(cells) > 0 && cells[0] == row && c >= 0 {
				name, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					t.Fatal(err)
				}
				if err := x.SetCellValue(sheet, name, v); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	}
	t.Fatalf("no row %q with a column %q in the sheet of %s", row, col, table)
}

func (f *uploadFixture) read(t *testing.T, by access.Actor, file collect.File, b []byte) (map[collect.Scope][]collect.Value, error) {
	t.Helper()
	file.Size = int64(len(b))
	return f.svc.ReadFile(context.Background(), by, f.round.ID, "KEN", "Kenya", file, bytes.NewReader(b))
}

func (f *uploadFixture) draft(t *testing.T, flow string) map[string]float64 {
	t.Helper()
	vs, err := f.db.Draft(context.Background(), f.sec, f.round.ID, collect.Scope{Flow: flow, State: "KEN", Year: 2023})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, v := range vs {
		if v.Value != nil {
			out[v.Key.String()] = *v.Value
		}
	}
	return out
}

func (f *uploadFixture) status(t *testing.T, table string) collect.Status {
	t.Helper()
	subs, err := f.db.Submissions(context.Background(), f.sec, f.round.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.Table == table && s.State == "KEN" {
			return s.Status
		}
	}
	return collect.NotStarted
}

const (
	assaultKey = "A.KEN.OFF.020111._T._T._Z._T.CJ.NB"
	assaultPer = "A.KEN.OFF.020111._T._T._Z._T.CJ.RT100K"
	burglary   = "A.KEN.OFF.0501._T._T._Z._T.CJ.NB"
)

// TestSaveFile reads Kenya's questionnaire, filled with a count and its
// rate, checks it and saves it; then saves files that change one
// dataflow while a table of the other is validated, or change the
// validated one, which stores nothing.
func TestSaveFile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newUploadFixture(t, db)
		b := f.workbook(t, func(x *excelize.File) {
			setCell(t, x, "OFFENCES_POLICE", "2023|020111|", "value", 23000)
			setCell(t, x, "OFFENCES_POLICE", "2023|020111|", "rate", 41.9)
			setCell(t, x, "OFFENCES_POLICE", "2023|0501|", "value", 61000)
		})
		byScope, err := f.read(t, f.fp, collect.File{Name: "ken.xlsx"}, b)
		if err != nil {
			t.Fatal(err)
		}
		offences := collect.Scope{Flow: "OFFENCES", State: "KEN", Year: 2023}
		if len(byScope) != 2 || len(byScope[offences]) != 3 {
			t.Fatalf("read %d scopes, %d values of OFFENCES, want 2 scopes (every dataflow of the round) and the count, rate and burglary: %+v", len(byScope), len(byScope[offences]), byScope)
		}
		previews, err := f.svc.DryRun(ctx, f.fp, f.round.ID, byScope)
		if err != nil || len(previews) != 2 || previews[0].Scope.Flow != "OFFENCES" || len(previews[0].Changes.Added) != 3 || previews[1].Changes.Empty() == false {
			t.Fatalf("dry run: %+v, %v", previews, err)
		}
		if got := f.draft(t, "OFFENCES"); len(got) != 0 {
			t.Fatalf("the dry run stored %v", got)
		}
		if _, err := f.svc.SaveAll(ctx, f.fr, f.round.ID, byScope); !fail.Is(err, fail.Forbidden) {
			t.Errorf("France's focal point saved Kenya's file: %v", err)
		}
		if _, err := f.svc.SaveAll(ctx, f.sec, f.round.ID, byScope); !fail.Is(err, fail.Forbidden) {
			t.Errorf("the secretariat saved Kenya's file: %v", err)
		}
		// Scopes not of the round's year are refused, not saved empty.
		noYear := map[collect.Scope][]collect.Value{{Flow: "OFFENCES", State: "KEN"}: byScope[offences]}
		if _, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, noYear); !fail.Is(err, fail.Invalid) {
			t.Errorf("a scope without its year: %v", err)
		}
		if _, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, byScope); err != nil {
			t.Fatal(err)
		}
		got := f.draft(t, "OFFENCES")
		if got[assaultKey] != 23000 || got[assaultPer] != 41.9 || got[burglary] != 61000 {
			t.Fatalf("draft after saving: %v", got)
		}

		// Submitted, then validated by the secretariat: the police table
		// takes no new draft until it is queried.
		subs, err := db.Submissions(ctx, f.fp, f.round.ID)
		if err != nil || len(subs) != 1 {
			t.Fatalf("submissions %+v, %v", subs, err)
		}
		if _, err := db.MoveSubmission(ctx, f.fp, subs[0].ID, collect.Submitted); err != nil {
			t.Fatal(err)
		}
		// The same file again changes nothing: the table stays submitted.
		if _, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, byScope); err != nil {
			t.Fatal(err)
		}
		if s := f.status(t, "OFFENCES_POLICE"); s != collect.Submitted {
			t.Fatalf("saving the same figures made the table %s", s)
		}
		if _, err := db.MoveSubmission(ctx, f.sec, subs[0].ID, collect.Validated); err != nil {
			t.Fatal(err)
		}

		// A file that adds victims leaves the validated offences alone.
		b = f.workbook(t, func(x *excelize.File) {
			setCell(t, x, "VICTIMS_ASSAULT", "2023|_T|F", "value", 100)
		})
		if byScope, err = f.read(t, f.fp, collect.File{Name: "ken.xlsx"}, b); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, byScope); err != nil {
			t.Fatalf("saving victims beside validated offences: %v", err)
		}
		if s := f.status(t, "OFFENCES_POLICE"); s != collect.Validated {
			t.Errorf("the validated table became %s", s)
		}
		// One that changes them is refused whole: the victims' change is
		// not saved either.
		b = f.workbook(t, func(x *excelize.File) {
			setCell(t, x, "OFFENCES_POLICE", "2023|0501|", "value", 62000)
			setCell(t, x, "VICTIMS_ASSAULT", "2023|_T|F", "value", 101)
		})
		if byScope, err = f.read(t, f.fp, collect.File{Name: "ken.xlsx"}, b); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, byScope); !fail.Is(err, fail.Conflict) || !strings.Contains(err.Error(), "Offences recorded by the police") {
			t.Errorf("changing a validated table: %v", err)
		}
		if got := f.draft(t, "VICTIMS")["A.KEN.VIC.020111.F._T._T._T.CJ.NB"]; got != 100 {
			t.Errorf("the refused file changed the victims to %v", got)
		}

		// A file with an error stores nothing.
		csv := csvHead + "OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,-4,A,,,\n"
		if byScope, err = f.read(t, f.fp, collect.File{Name: "ken.csv", Flow: "OFFENCES"}, []byte(csv)); err != nil {
			t.Fatal(err)
		}
		if previews, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, byScope); !fail.Is(err, fail.Invalid) || len(previews) != 1 || previews[0].Errors() == 0 {
			t.Errorf("a negative count: %+v, %v", previews, err)
		}

		if _, err := db.CloseRound(ctx, f.sec, f.round.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SaveAll(ctx, f.fp, f.round.ID, byScope); !fail.Is(err, fail.Conflict) || !strings.Contains(err.Error(), "closed") {
			t.Errorf("saving to a closed round: %v", err)
		}
	})
}

// TestReadFileRefuses checks what ReadFile says of files it cannot take.
func TestReadFileRefuses(t *testing.T) {
	t.Parallel()
	f := newUploadFixture(t, storetest.Open(t, store.SQLite))
	for _, tc := range []struct {
		name string
		file collect.File
		body []byte
		want string
	}{
		{"empty", collect.File{Name: "x.csv", Flow: "OFFENCES"}, nil, "The file is empty"},
		{"old Excel", collect.File{Name: "x.xls"}, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 and the rest"), "save it as an Excel Workbook (.xlsx)"},
		{"CSV without its dataflow", collect.File{Name: "x.csv"}, []byte(csvHead), "answers one dataflow"},
		{"another State's rows", collect.File{Name: "x.csv", Flow: "OFFENCES"},
			[]byte(csvHead + "OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,12,A,,,\nOFFENCES,A,FRA,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,12,A,,,\n"), "line 3"},
		{"a workbook that is no questionnaire", collect.File{Name: "x.xlsx"}, []byte("PK\x03\x04 not really a zip"), "workbook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := f.read(t, f.fp, tc.file, tc.body)
			if err == nil {
				t.Fatalf("read %v", vs)
			}
			list, _, ok := collect.FileProblems(err)
			if !ok || len(list) == 0 {
				t.Fatalf("%v is not a problem of the file", err)
			}
			text := fmt.Sprint(list)
			if tc.name == "another State's rows" {
				if list[0].Row != 3 || list[0].Column != "REF_AREA" {
					t.Errorf("problems %+v, want line 3, column REF_AREA", list)
				}
				return
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("problems %s, want %q", text, tc.want)
			}
		})
	}
}

// queue records the jobs a checker enqueues.
type queue struct{ jobs []job.Job }

func (q *queue) Enqueue(_ context.Context, j job.Job) error {
	q.jobs = append(q.jobs, j)
	return nil
}

// TestChecker follows files through their check: a small one checked at
// once and saved; a large one read by the job, with its progress; one
// refused by the job; and who may see a check.
func TestChecker(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newUploadFixture(t, db)
		q := &queue{}
		c := &collect.Checker{Service: f.svc, Store: db, Jobs: q}
		start := func(body string) (collect.FileCheck, error) {
			return c.Start(ctx, f.fp, f.round.ID, "KEN", "Kenya", collect.File{Name: "ken.csv", Size: int64(len(body)), Flow: "OFFENCES"}, strings.NewReader(body))
		}

		small := csvHead + "OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,61000,A,,,\n"
		fc, err := start(small)
		if err != nil || fc.Status != collect.CheckRead || fc.ID == 0 || len(fc.Previews) != 1 || len(fc.Previews[0].Changes.Added) != 1 {
			t.Fatalf("small file: %+v, %v", fc, err)
		}
		if len(q.jobs) != 0 {
			t.Errorf("a small file went to a job")
		}
		if _, err := db.Check(ctx, f.fr, fc.ID); !fail.Is(err, fail.NotFound) {
			t.Errorf("France's focal point sees Kenya's check: %v", err)
		}
		if got, err := db.Check(ctx, f.sec, fc.ID); err != nil || got.Status != collect.CheckRead || len(got.Values) != 1 {
			t.Errorf("the secretariat's view of the check: %+v, %v", got, err)
		}
		if _, err := c.Save(ctx, f.fr, fc.ID); !fail.Is(err, fail.NotFound) {
			t.Errorf("France's focal point saved Kenya's check: %v", err)
		}
		if got := f.draft(t, "OFFENCES"); len(got) != 0 {
			t.Fatalf("the check stored %v before it was saved", got)
		}
		saved, err := c.Save(ctx, f.fp, fc.ID)
		if err != nil || saved.Status != collect.CheckSaved || saved.SavedAt == nil {
			t.Fatalf("save: %+v, %v", saved, err)
		}
		if got := f.draft(t, "OFFENCES"); got[burglary] != 61000 {
			t.Fatalf("draft after saving the check: %v", got)
		}
		if _, err := c.Save(ctx, f.fp, fc.ID); !fail.Is(err, fail.Conflict) {
			t.Errorf("a check saved twice: %v", err)
		}

		if _, err := start(csvHead + "OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,sixty,A,,,\n"); err == nil {
			t.Errorf("a file with text for a figure was taken")
		} else if list, _, ok := collect.FileProblems(err); !ok || len(list) != 1 || list[0].Row != 2 || list[0].Column != "OBS_VALUE" {
			t.Errorf("problems of a bad figure: %+v (%v)", list, err)
		}

		// A large file: the same answer, padded past the inline size with
		// the empty lines a spreadsheet export may end with.
		large := csvHead + "OFFENCES,A,KEN,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,62000,A,,,\n" + strings.Repeat("\n", collect.InlineBytes)
		fc, err = start(large)
		if err != nil || fc.Status != collect.CheckWaiting || len(q.jobs) != 1 {
			t.Fatalf("large file: %+v, %v (%d jobs)", fc, err, len(q.jobs))
		}
		j := q.jobs[0]
		j.Attempts, j.MaxAttempts = 1, 3
		if j.Kind != collect.CheckJob || !json.Valid(j.Payload) {
			t.Fatalf("job %+v", j)
		}
		if err := c.Run(ctx, j); err != nil {
			t.Fatal(err)
		}
		got, err := db.Check(ctx, f.fp, fc.ID)
		if err != nil || got.Status != collect.CheckRead || got.Read != int64(len(large)) || len(got.Previews) != 1 || len(got.Previews[0].Changes.Changed) != 1 {
			t.Fatalf("after the job: %+v, %v", got, err)
		}
		// The job's file is gone: running it again finds nothing to do.
		if err := c.Run(ctx, j); err != nil {
			t.Fatal(err)
		}
		if got, _ = db.Check(ctx, f.fp, fc.ID); got.Status != collect.CheckRead {
			t.Errorf("a second run made the check %s", got.Status)
		}

		// A large file the job refuses: the check says why.
		bad := csvHead + "OFFENCES,A,FRA,OFF,0501,_T,_T,_Z,_T,CJ,NB,2023,1,A,,,\n" + strings.Repeat("\n", collect.InlineBytes)
		if fc, err = start(bad); err != nil {
			t.Fatal(err)
		}
		if err := c.Run(ctx, q.jobs[1]); err != nil {
			t.Fatal(err)
		}
		if got, err = db.Check(ctx, f.fp, fc.ID); err != nil || got.Status != collect.CheckRefused || len(got.Problems) != 1 || got.Problems[0].Column != "REF_AREA" {
			t.Fatalf("refused by the job: %+v, %v", got, err)
		}
		if _, err := c.Save(ctx, f.fp, fc.ID); !fail.Is(err, fail.Conflict) {
			t.Errorf("a refused file was saved: %v", err)
		}

		// Without a job runner, a large file is refused with a reason.
		c.Jobs = nil
		if _, err := start(large); !fail.Is(err, fail.Unavailable) {
			t.Errorf("large file without jobs: %v", err)
		}
	})
}
