package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/civil"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
	"github.com/cpcj/cpcj/internal/treaty"
)

// benchInstrument is the instrument whose status the benchmarks ask for:
// UNTOC, with 326 records in the shipped data, more than any other.
const benchInstrument = "XVIII-12"

// benchDates are the dates asked in turn: before and after the entry into
// force, and the date of the shipped records.
var benchDates = []string{"2001-06-30", "2003-09-29", "2008-12-31", "2013-12-18", "2015-03-14"}

// benchActions returns the SQL list of the actions that satisfy keep, as
// the treaty package defines them.
func benchActions(keep func(treaty.Action) bool) string {
	var out []string
	for _, a := range treaty.Actions {
		if keep(a) {
			out = append(out, "'"+string(a)+"'")
		}
	}
	return strings.Join(out, ", ")
}

// benchFloorQuery is the floor: the bare SQL that counts the participants
// that deposited an instrument of consent (ratification, acceptance,
// approval, accession, succession, formal confirmation, participation via
// the 1972 Protocol) in force, up to the date. With no withdrawals in the
// records it is Status's Parties.
var benchFloorQuery = `SELECT COUNT(DISTINCT participant) FROM participation
	WHERE instrument = ? AND date <= ? AND retracted_at IS NULL AND action IN (` + benchActions(treaty.Action.Consents) + `)`

// benchFloorBothQuery counts the signatories too, in the same query: both
// numbers Status reports besides the States parties. For information.
var benchFloorBothQuery = `SELECT COUNT(DISTINCT CASE WHEN action IN (` + benchActions(treaty.Action.Consents) + `) THEN participant END),
	COUNT(DISTINCT CASE WHEN action IN (` + benchActions(treaty.Action.Signs) + `) THEN participant END)
	FROM participation WHERE instrument = ? AND date <= ? AND retracted_at IS NULL`

// benchStatusBlock is how many calls go to one side before the other
// takes its turn in the ratio sub-benchmark.
const benchStatusBlock = 64

// BenchmarkStatus times Service.Status for UNTOC on several dates against
// its floor, the bare SQL query that counts the same rows, run through the
// same read pool in the same run, on each engine:
//
//   - floor: benchFloorQuery, one call per iteration, the dates in turn;
//   - floor-both: benchFloorBothQuery (parties and signatories), for information;
//   - status: Service.Status with its cache warm, the steady state: each
//     call still asks the database for RecordsVersion;
//   - status-cold: Service.Status after Invalidate, so that every call
//     reloads the instruments, all records and the participants (for
//     information);
//   - ratio: floor and warm status in alternating blocks of 64 calls,
//     reporting floor-ns/op, status-ns/op and status/floor, the figure the
//     target (at most 2) is judged on.
//
// PostgreSQL runs when CPCJ_TEST_DATABASE_URL is set.
func BenchmarkStatus(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) { benchStatus(b, e) })
	}
}

func benchStatus(b *testing.B, e store.Engine) {
	db := storetest.Open(b, e)
	ctx := context.Background()
	svc := treaty.NewService(db, db)
	dates := make([]civil.Date, len(benchDates))
	for i, s := range benchDates {
		d, err := civil.Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		dates[i] = d
	}
	// The floor must count what Status counts.
	for _, d := range dates {
		rep, err := svc.Status(ctx, benchInstrument, d)
		if err != nil {
			b.Fatal(err)
		}
		var parties, both, signatories int
		if err := db.RawQueryRead(ctx, benchFloorQuery, benchInstrument, d.String()).Scan(&parties); err != nil {
			b.Fatal(err)
		}
		if err := db.RawQueryRead(ctx, benchFloorBothQuery, benchInstrument, d.String()).Scan(&both, &signatories); err != nil {
			b.Fatal(err)
		}
		if parties != rep.Parties || both != rep.Parties || signatories != rep.Signatories {
			b.Fatalf("%s on %s: floor counts %d parties (%d, %d signatories), Status %d parties, %d signatories",
				benchInstrument, d, parties, both, signatories, rep.Parties, rep.Signatories)
		}
	}
	floor := func(i int) error {
		var n int
		return db.RawQueryRead(ctx, benchFloorQuery, benchInstrument, benchDates[i%len(benchDates)]).Scan(&n)
	}
	floorBoth := func(i int) error {
		var p, s int
		return db.RawQueryRead(ctx, benchFloorBothQuery, benchInstrument, benchDates[i%len(benchDates)]).Scan(&p, &s)
	}
	status := func(i int) error {
		_, err := svc.Status(ctx, benchInstrument, dates[i%len(dates)])
		return err
	}
	loop := func(f func(int) error) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := f(i); err != nil {
					b.Fatal(err)
				}
				i++
			}
		}
	}
	b.Run("floor", loop(floor))
	b.Run("floor-both", loop(floorBoth))
	b.Run("status", loop(status))
	b.Run("status-cold", loop(func(i int) error {
		svc.Invalidate()
		return status(i)
	}))
	b.Run("ratio", func(b *testing.B) {
		var floorNs, statusNs time.Duration
		for start := 0; start < b.N; start += benchStatusBlock {
			n := min(benchStatusBlock, b.N-start)
			first, second, firstNs, secondNs := floor, status, &floorNs, &statusNs
			if (start/benchStatusBlock)%2 == 1 {
				first, second, firstNs, secondNs = status, floor, &statusNs, &floorNs
			}
			t0 := time.Now()
			for j := range n {
				if err := first(start + j); err != nil {
					b.Fatal(err)
				}
			}
			t1 := time.Now()
			for j := range n {
				if err := second(start + j); err != nil {
					b.Fatal(err)
				}
			}
			*firstNs += t1.Sub(t0)
			*secondNs += time.Since(t1)
		}
		n := float64(b.N)
		b.ReportMetric(float64(floorNs.Nanoseconds())/n, "floor-ns/op")
		b.ReportMetric(float64(statusNs.Nanoseconds())/n, "status-ns/op")
		b.ReportMetric(float64(statusNs)/float64(floorNs), "status/floor")
	})
}
