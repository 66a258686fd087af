package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cpcj/cpcj/internal/access"
	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/api"
	"github.com/cpcj/cpcj/internal/audit"
	"github.com/cpcj/cpcj/internal/collect"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/sdmx"
	"github.com/cpcj/cpcj/internal/state"
	"github.com/cpcj/cpcj/internal/stats"
	"github.com/cpcj/cpcj/internal/treaty"
)

// Kind says which conventions a route follows: errors as HTML pages, as
// problem documents or as SDMX error messages, and how CSRF is checked.
type Kind int

// The kinds of route.
const (
	Page Kind = iota // HTML; forms carry a CSRF token
	API              // JSON under /api/v1; sessions send X-CSRF-Token
	Ops              // health, readiness, metrics, static files
	SDMX             // SDMX REST under /sdmx/rest: read-only, public, SDMX-ML errors
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // method and path, as net/http's ServeMux reads them
	Kind    Kind
	Handler http.HandlerFunc
	Op      *api.Op // the OpenAPI description of an API route
	// Upload marks a route that takes files: its body may be as large
	// as CPCJ_MAX_UPLOAD rather than CPCJ_MAX_BODY.
	Upload bool
}

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

var (
	codeParam       = api.Param{Name: "code", In: "path", Type: "string", Pattern: "^[A-Za-z]{3}$", Description: "ISO 3166-1 alpha-3 code; EUU for the European Union."}
	idParam         = api.Param{Name: "id", In: "path", Type: "integer", Description: "The record's id."}
	dateParam       = api.Param{Name: "date", In: "query", Type: "string", Pattern: `^\d{4}-\d{2}-\d{2}$`, Description: "The date, YYYY-MM-DD (default today)."}
	instrumentParam = api.Param{Name: "id", In: "path", Type: "string", Description: "The UN Treaty Collection (MTDSG) number, e.g. XVIII-12, or the alias, e.g. UNTOC."}
	flowIDParam     = api.Param{Name: "id", In: "path", Type: "string", Description: "The dataflow's id, e.g. HOMICIDE."}
	codelistIDParam = api.Param{Name: "id", In: "path", Type: "string", Description: "The code list's id, e.g. CL_AREA."}
	roleEnum        = []string{string(access.Admin), string(access.Secretariat), string(access.FocalPoint), string(access.Expert), string(access.Donor)}
)

// routeTable is every route of cpcj, in one place. Modules add theirs here.
func (s *Server) routeTable() []Route {
	a, w := s.api, s.web
	page := func(pattern string, h http.HandlerFunc) Route { return Route{Pattern: pattern, Kind: Page, Handler: h} }
	ops := func(pattern string, h http.HandlerFunc) Route { return Route{Pattern: pattern, Kind: Ops, Handler: h} }
	routes := []Route{
		ops("GET /healthz", s.Healthz),
		ops("GET /readyz", s.Readyz),
		ops("GET /metrics", s.metrics.Handler().ServeHTTP),
		ops("GET /static/{file}", w.Static),

		page("GET /{$}", w.Home),
		page("GET /states", w.States),
		page("GET /states/{code}", w.State),
		page("GET /treaties", w.Treaties),
		page("GET /treaties/{id}", w.Instrument),
		page("GET /treaties/annex", w.Annex),
		page("GET /treaties/import", w.ImportForm),
		page("POST /treaties/import", w.Import),
		page("GET /treaties/records/new", w.NewRecord),
		page("POST /treaties/records", w.CreateRecord),
		page("GET /treaties/records/{id}", w.EditRecord),
		page("POST /treaties/records/{id}", w.UpdateRecord),
		page("POST /treaties/records/{id}/retract", w.RetractRecord),
		page("GET /statistics", w.Statistics),
		page("GET /statistics/areas/{code}", w.StatsArea),

		// The annual collection, the secretariat's side and the review
		// both sides use.
		page("GET /collection", w.Collection),
		page("POST /collection/rounds", w.OpenRound),
		page("GET /collection/rounds/{id}", w.RoundDashboard),
		page("POST /collection/rounds/{id}/close", w.CloseRound),
		page("POST /collection/rounds/{id}/publish", w.PublishRound),
		page("GET /collection/submissions/{id}", w.ReviewSubmission),
		page("POST /collection/submissions/{id}/publish", w.PublishSubmission),
		page("POST /collection/submissions/{id}/validate", w.ValidateSubmission),
		page("POST /collection/submissions/{id}/queries", w.RaiseQuery),
		page("POST /collection/queries/{id}/reply", w.ReplyQuery),
		page("GET /collection/rules", w.CollectRules),
		page("POST /collection/rules", w.CreateCollectRule),
		page("GET /collection/rules/{id}", w.CollectRule),
		page("POST /collection/rules/{id}", w.UpdateCollectRule),
		// The focal point's side: a State's answer to a round, by web
		// form, Excel questionnaire or file upload.
		page("GET /collection/rounds/{id}/states/{code}", w.StateAnswers),
		page("GET /collection/rounds/{id}/states/{code}/workbook", w.StateWorkbook),
		page("GET /collection/rounds/{id}/states/{code}/tables/{table}", w.TableForm),
		page("POST /collection/rounds/{id}/states/{code}/tables/{table}", w.SaveTable),
		page("POST /collection/rounds/{id}/states/{code}/tables/{table}/submit", w.SubmitTable),
		page("GET /collection/rounds/{id}/states/{code}/upload", w.UploadForm),
		{Pattern: "POST /collection/rounds/{id}/states/{code}/upload", Kind: Page, Handler: w.UploadFile, Upload: true},
		page("GET /collection/jobs/{id}", w.UploadCheck),
		page("POST /collection/jobs/{id}/save", w.SaveUpload),

		page("GET /reviews", w.Module),
		page("GET /assistance", w.Module),
		page("GET /funding", w.Module),
		page("GET /cooperation", w.Module),
		page("GET /library", w.Module),
		page("GET /reports", w.Module),
		page("GET /sources/{folder}", w.DataFile),
		page("GET /api", w.APIReference),

		page("GET /signin", w.SignInForm),
		page("POST /signin", w.SignIn),
		page("POST /signout", w.SignOut),
		page("POST /language", w.Language),
		page("GET /account", w.Account),
		page("POST /account/password", w.ChangePassword),
		page("POST /account/tokens", w.CreateToken),
		page("POST /account/tokens/{id}/revoke", w.RevokeToken),
		page("GET /notifications", w.Notifications),
		page("POST /notifications/read", w.ReadNotifications),

		page("GET /admin/users", w.Users),
		page("POST /admin/users", w.CreateUser),
		page("GET /admin/users/{id}", w.User),
		page("POST /admin/users/{id}", w.UpdateUser),
		page("GET /audit", w.Audit),

		ops("GET /api/v1/openapi.json", s.serveOpenAPI),
	}
	routes = append(routes, sdmxRoutes(s.sdmx)...)
	return append(routes, apiRoutes(a)...)
}

// sdmxRoutes are the routes of the SDMX REST API (SDMX 2.1 paths): structure
// queries, each part of the path optional from the right, and data queries.
func sdmxRoutes(x *sdmx.Handler) []Route {
	r := func(pattern string, h http.HandlerFunc) Route { return Route{Pattern: pattern, Kind: SDMX, Handler: h} }
	return []Route{
		r("GET /sdmx/rest/{resource}", x.Structure),
		r("GET /sdmx/rest/{resource}/{agencyID}", x.Structure),
		r("GET /sdmx/rest/{resource}/{agencyID}/{resourceID}", x.Structure),
		r("GET /sdmx/rest/{resource}/{agencyID}/{resourceID}/{version}", x.Structure),
		r("GET /sdmx/rest/{resource}/{agencyID}/{resourceID}/{version}/{itemID}", x.Structure),
		r("GET /sdmx/rest/data/{flowRef}", x.Data),
		r("GET /sdmx/rest/data/{flowRef}/{key}", x.Data),
		r("GET /sdmx/rest/data/{flowRef}/{key}/{providerRef}", x.Data),
	}
}

// apiRoutes are the routes of the JSON API, each with its OpenAPI
// description.
func apiRoutes(a *api.Handler) []Route {
	rest := func(pattern string, h http.HandlerFunc, op api.Op) Route {
		return Route{Pattern: pattern, Kind: API, Handler: h, Op: &op}
	}
	upload := func(pattern string, h http.HandlerFunc, op api.Op) Route {
		r := rest(pattern, h, op)
		r.Upload = true
		return r
	}
	signedIn := "any signed-in user, for their own account"
	return []Route{
		rest("GET /api/v1/states", a.ListStates, api.Op{ID: "listStates", Tag: "states",
			Summary:     "List the participants: Member States, observer States, other States and the European Union",
			Description: "Sorted by name. The list is public reference data; each server may answer from a copy up to a few seconds old.",
			Params: []api.Param{
				{Name: "regional_group", In: "query", Type: "string", Enum: []string{"AG", "APG", "EEG", "GRULAC", "WEOG"}, Description: "UN regional group."},
				{Name: "kind", In: "query", Type: "string", Enum: []string{string(state.MemberState), string(state.ObserverState), string(state.NonMemberState), string(state.Organization)}, Description: "Kind of participant."},
				{Name: "q", In: "query", Type: "string", Description: "Part of the name or code, in any case."},
				api.LimitParam, api.OffsetParam,
			},
			Response: api.List[state.Participant]{}, ETag: true}),
		rest("GET /api/v1/states/{code}", a.GetState, api.Op{ID: "getState", Tag: "states",
			Summary: "One participant", Params: []api.Param{codeParam}, Response: state.Participant{}}),
		rest("GET /api/v1/regional-groups", a.ListGroups, api.Op{ID: "listRegionalGroups", Tag: "states",
			Summary: "The five UN regional groups", Response: api.List[state.Group]{}}),

		rest("GET /api/v1/states/{code}/treaties", a.StateTreaties, api.Op{ID: "getStateTreaties", Tag: "treaties",
			Summary:     "A participant's standing in every instrument with records, on a date",
			Description: "For each instrument: the dates of signature and of the deposit that made the participant a party, and when the instrument entered into force for it (where the rule is recorded).",
			Params:      []api.Param{codeParam, dateParam}, Response: api.List[treaty.ProfileRow]{}}),

		rest("GET /api/v1/instruments", a.ListInstruments, api.Op{ID: "listInstruments", Tag: "treaties",
			Summary:  "The conventions and protocols of the programme",
			Response: api.List[treaty.Instrument]{}}),
		rest("GET /api/v1/instruments/{id}", a.GetInstrument, api.Op{ID: "getInstrument", Tag: "treaties",
			Summary: "One instrument", Params: []api.Param{instrumentParam}, Response: treaty.Instrument{}}),
		rest("GET /api/v1/instruments/{id}/status", a.InstrumentStatus, api.Op{ID: "getInstrumentStatus", Tag: "treaties",
			Summary: "Where an instrument stands on a date: parties, States parties, signatories and the lists",
			Description: "A participant is a party from the deposit of its instrument of ratification, acceptance, approval, accession, succession or formal confirmation until a withdrawal takes effect. " +
				"`parties` counts every party; `states_parties` only States (not the European Union). Instruments whose depositary is not the Secretary-General have no records in cpcj: they answer 404, never zero.",
			Params: []api.Param{instrumentParam, dateParam}, Response: treaty.Report{}}),

		rest("GET /api/v1/participation", a.ListRecords, api.Op{ID: "listParticipation", Tag: "treaties",
			Summary:     "The participation records, as JSON or as CSV",
			Description: "With `format=csv`, the CSV form that `POST /participation/import` reads: columns " + strings.Join(treaty.CSVHeader, ", ") + ".",
			Params: []api.Param{
				{Name: "instrument", In: "query", Type: "string", Description: "MTDSG number or alias."},
				{Name: "participant", In: "query", Type: "string", Description: "Participant code (ISO alpha-3, EUU)."},
				{Name: "format", In: "query", Type: "string", Enum: []string{"json", "csv"}, Description: "json (default) or csv."},
			},
			Response: api.List[treaty.Record]{}}),
		rest("POST /api/v1/participation", a.CreateRecord, api.Op{ID: "createParticipation", Tag: "treaties",
			Summary: "Enter a participation record", Access: "admins and the secretariat", Body: api.RecordInput{}, Response: treaty.Record{}, Status: http.StatusCreated,
			Description: "The rules are applied: a known participant and instrument, a date neither before adoption nor in the future, no duplicate, and for UNTOC's Protocols party to the Convention first (art. 37(2)). " +
				"A record the rules refuse is stored only with an `exception`: the secretariat's note that the depositary accepted it."}),
		rest("PATCH /api/v1/participation/{id}", a.UpdateRecord, api.Op{ID: "updateParticipation", Tag: "treaties",
			Summary: "Correct a participation record", Access: "admins and the secretariat", Params: []api.Param{idParam}, Body: api.RecordInput{}, Response: treaty.Record{}}),
		rest("POST /api/v1/participation/{id}/retract", a.RetractRecord, api.Op{ID: "retractParticipation", Tag: "treaties",
			Summary: "Withdraw a record entered in error", Access: "admins and the secretariat", Params: []api.Param{idParam}, Body: api.Retraction{}, Status: http.StatusNoContent}),
		rest("POST /api/v1/participation/import", a.ImportRecords, api.Op{ID: "importParticipation", Tag: "treaties",
			Summary:     "Import participation records from CSV, all or nothing",
			Access:      "admins and the secretariat",
			Description: "The body is the CSV form (`text/csv`). The file replaces every record of the instruments it names. A file with any bad row stores nothing and answers 422 with every rejected row and its reason. With `dry_run=true` the file is checked and nothing is stored.",
			Params:      []api.Param{{Name: "dry_run", In: "query", Type: "boolean", Description: "Check only."}},
			Response:    treaty.ImportResult{}, Problems: map[int]any{http.StatusUnprocessableEntity: api.ImportProblem{}}}),

		rest("GET /api/v1/stats/dataflows", a.ListDataflows, api.Op{ID: "listDataflows", Tag: "statistics",
			Summary:     "The statistical dataflows, with their provenance",
			Description: "Each dataflow with its source, licence, the source's date of data, when its observations last changed here, and how many it holds. " + statsCaching,
			Params:      []api.Param{api.LimitParam, api.OffsetParam},
			Response:    api.List[api.DataflowSummary]{}, ETag: true, LastModified: true}),
		rest("GET /api/v1/stats/dataflows/{id}", a.GetDataflow, api.Op{ID: "getDataflow", Tag: "statistics",
			Summary: "One dataflow with its structure: the dimensions with the codes its series use, the attributes, the span of its periods",
			Description: "Each dimension names the URL parameter that selects it in /stats/observations, /stats/explore and /stats/download. " +
				"`regions` are the aggregates the `area` parameter also takes (the world, M49 regions, UN regional groups), computed by cpcj from their members. " + statsCaching,
			Params: []api.Param{flowIDParam}, Response: api.DataflowDetail{}, ETag: true, LastModified: true}),
		rest("GET /api/v1/stats/codelists", a.ListCodelists, api.Op{ID: "listCodelists", Tag: "statistics",
			Summary:     "The code lists of the statistics, with their codes",
			Description: "Hierarchical lists (CL_AREA, CL_ICCS) give each code's parent; `partial` says a list holds only part of its classification. " + statsCaching,
			Params:      []api.Param{api.LimitParam, api.OffsetParam},
			Response:    api.List[stats.Codelist]{}, ETag: true, LastModified: true}),
		rest("GET /api/v1/stats/codelists/{id}", a.GetCodelist, api.Op{ID: "getCodelist", Tag: "statistics",
			Summary: "One code list, e.g. CL_AREA or CL_ICCS", Params: []api.Param{codelistIDParam},
			Description: statsCaching, Response: stats.Codelist{}, ETag: true, LastModified: true}),
		rest("GET /api/v1/stats/observations", a.ListObservations, api.Op{ID: "listObservations", Tag: "statistics",
			Summary: "The observations of a view, a page at a time",
			Description: "The rows of the view's download: the stored observations of its countries (of every area when it names none); " +
				"with `unit=RT100K`, rates per 100,000 computed from counts and population where the source gives none; and for each region or group it names, " +
				"the computed count and rate of every period a member reported, with the coverage in `comment`. Computed rows have `derivation` C. " +
				computeLimits + " " + statsCaching,
			Params: append(viewParams(), api.LimitParam, api.OffsetParam), Response: api.List[api.StatsObservation]{}, ETag: true, LastModified: true}),
		rest("GET /api/v1/stats/explore", a.Explore, api.Op{ID: "explore", Tag: "statistics",
			Summary: "What the data explorer shows of a view: series by period, trends, coverage and provenance",
			Description: "The view must name at least one area. Countries' series are the stored ones; regions' and groups' are computed from their members' counts, " +
				"with coverage (members reporting, share of the population) at every period and nothing imputed. Each series has one point per period of `periods`, " +
				"and its trend between its first and last values, with the figures refused and why: a break in series, or, for a region or group, other members reporting " +
				"at the two ends (a change of members is a break in series; so is a break in the series of a member that reported at both ends). " +
				"`series_total`, `observations` and `cells` count the whole view; `series` holds (and analyses) at most `max_series`. " +
				fmt.Sprintf("Every exploration computes: its figures come from at most %d stored observations (else 400 naming `area`), and at most %d run at once on a server (else 503 with Retry-After). ",
					stats.MaxReads, api.MaxComputing) + statsCaching,
			Params: append(viewParams(), api.Param{Name: "max_series", In: "query", Type: "integer",
				Description: fmt.Sprintf("Most series to give, 1 to %d (default %d); the totals count them all.", api.MaxMaxSeries, api.DefaultMaxSeries)}),
			Response: stats.Exploration{}, ETag: true, LastModified: true}),
		rest("GET /api/v1/stats/download", a.Download, api.Op{ID: "downloadStatistics", Tag: "statistics",
			Summary: "A view as a CSV file or an Excel workbook, with names and provenance",
			Description: "The rows of /stats/observations, with the names of areas, indicators and ICCS categories and, on every row, the source, its address, " +
				"licence and date of data. The workbook has a Provenance sheet. In CSV, text that a spreadsheet would take for a formula begins with an apostrophe; " +
				"the workbook's text cells are text, never formulas. A CSV of stored figures streams whatever its size; " +
				fmt.Sprintf("a workbook holds at most %d rows (a larger view is refused with 400 naming `format`: take CSV). ", stats.MaxXLSXRows) +
				computeLimits + " HEAD checks the view and answers the headers without making the file. " + statsCaching,
			Params:   append(viewParams(), api.Param{Name: "format", In: "query", Type: "string", Enum: []string{"csv", "xlsx"}, Description: "csv (default) or xlsx."}),
			Produces: []string{"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, ETag: true, LastModified: true}),

		rest("GET /api/v1/collection/rounds", a.ListRounds, api.Op{ID: "listRounds", Tag: "collection",
			Summary: "The rounds of the annual collection (UN-CTS), newest first", Access: collectReaders,
			Params: []api.Param{api.LimitParam, api.OffsetParam}, Response: api.List[api.RoundSummary]{}}),
		rest("GET /api/v1/collection/rounds/{id}", a.GetRound, api.Op{ID: "getRound", Tag: "collection",
			Summary:     "One round with the tables it asks for",
			Description: "Each table lays out the cells asked as rows by columns of codes, with their labels, and fixes the codes of the other dimensions: every cell is one series key, for the round's reference year.",
			Access:      collectReaders, Params: []api.Param{idParam}, Response: api.RoundDetail{}}),
		rest("GET /api/v1/collection/rounds/{id}/submissions", a.ListSubmissions, api.Op{ID: "listSubmissions", Tag: "collection",
			Summary: "The submissions of a round: each State's answer to each table, with its status, how many values it holds and its open queries",
			Description: "The secretariat sees every State's; a focal point or an expert sees their own State's. A table a State has not started has no submission. " +
				"A submission goes from draft to submitted (by the State's focal point), then queried or validated (by the secretariat), then published.",
			Access: collectReaders,
			Params: []api.Param{idParam,
				{Name: "state", In: "query", Type: "string", Description: "Only this State's (ISO alpha-3)."},
				{Name: "status", In: "query", Type: "string", Enum: submissionStatuses(), Description: "Only submissions with this status."},
				api.LimitParam, api.OffsetParam},
			Response: api.List[collect.Submission]{}}),
		upload("PUT /api/v1/collection/rounds/{id}/states/{code}/data", a.PutData, api.Op{ID: "putCollectionData", Tag: "collection",
			Summary: "Send a State's figures for a round as a file: CSV or SDMX-CSV for one dataflow, or the Excel questionnaire",
			Description: "The file replaces the State's draft for each scope it answers (a dataflow of the round, the State, the reference year): a value the draft holds and the file lacks is removed. " +
				"A CSV file answers the dataflow named by `flow`: SDMX-CSV 1.0, one row per value, columns named in the header (DATAFLOW, FREQ, REF_AREA and TIME_PERIOD may be left out); " +
				"the Excel questionnaire, as cpcj writes it for the State and round, answers every dataflow of the round, or only `flow` when given. " +
				"Every value is checked against the round's tables and the validation rules before anything is stored. " +
				"A file that cannot be read answers 422 with every problem and its place: `row` (the line of a CSV file, the row of a sheet) and `column`, with `sheet` and `cell` for a workbook. " +
				"Values in which the rules find an error answer 422 with every finding, each naming in `origin` where the value was read. Nothing of a refused file is stored. " +
				"The answer gives, by scope, the values added, changed and removed in the draft, and the findings: warnings do not stop a save, but each needs a comment on its value before the table can be submitted. " +
				"With `dry_run=true` the file is checked and compared, and nothing is stored: the secretariat and the State's experts may do that too. A scope the file leaves unchanged is not saved again, so its tables keep their status. " +
				"Saving makes the tables whose figures change drafts again, to be submitted anew; a file that changes a table the secretariat has validated is refused (409) until the secretariat queries it.",
			Access: "the State's focal point; with dry_run=true, also its experts and the secretariat",
			Params: []api.Param{idParam, codeParam,
				{Name: "flow", In: "query", Type: "string", Description: "The dataflow the file answers, e.g. OFFENCES: required for CSV; for a workbook, only this dataflow's tables are taken."},
				{Name: "dry_run", In: "query", Type: "boolean", Description: "Check and compare only; store nothing."},
				{Name: "decimal_comma", In: "query", Type: "boolean", Description: "The CSV file writes decimals with a comma (12,5), as spreadsheets set to many languages do."}},
			Consumes: api.UploadTypes, Response: api.UploadResult{},
			Problems: map[int]any{http.StatusUnprocessableEntity: api.DataProblem{}}}),
		rest("GET /api/v1/collection/submissions/{id}", a.GetSubmission, api.Op{ID: "getSubmission", Tag: "collection",
			Summary:     "One submission with the values of its draft and what the validation rules find in them",
			Description: "A submission of another State than the caller's is not found (404), so that its existence does not leak.",
			Access:      collectReaders, Params: []api.Param{idParam}, Response: api.SubmissionDetail{}}),
		rest("POST /api/v1/collection/submissions/{id}/submit", a.SubmitSubmission, api.Op{ID: "submitSubmission", Tag: "collection",
			Summary:     "Send a table to the secretariat",
			Description: "The rules run again on the table's values: a table with an error, or a warning without a comment explaining the value, is refused with 409 and every finding.",
			Access:      "the State's focal point", Params: []api.Param{idParam}, Response: collect.Submission{},
			Problems: map[int]any{http.StatusConflict: api.DataProblem{}}}),
		rest("GET /api/v1/collection/submissions/{id}/queries", a.ListQueries, api.Op{ID: "listQueries", Tag: "collection",
			Summary: "The secretariat's queries on a submission, each with its thread of messages",
			Access:  collectReaders, Params: []api.Param{idParam, api.LimitParam, api.OffsetParam}, Response: api.List[collect.Query]{}}),
		rest("POST /api/v1/collection/submissions/{id}/queries", a.RaiseQuery, api.Op{ID: "raiseQuery", Tag: "collection",
			Summary:     "Ask the State about one value of a submitted table",
			Description: "The table becomes queried until the State submits it again or the secretariat validates it. The State's focal points are told, in the application and by e-mail when a mail server is configured.",
			Access:      "the secretariat", Params: []api.Param{idParam}, Body: api.NewQuery{}, Response: collect.Query{}, Status: http.StatusCreated}),
		rest("POST /api/v1/collection/queries/{id}/replies", a.ReplyQuery, api.Op{ID: "replyQuery", Tag: "collection",
			Summary:     "Write in a query's thread: the State answers, the secretariat asks again or closes the query",
			Description: "The State's answer marks the query answered and tells the secretariat member who asked; the secretariat's message opens it again and tells the State's focal points. With `close`, the secretariat closes it.",
			Access:      "the State's focal point and the secretariat", Params: []api.Param{idParam}, Body: api.Reply{}, Response: collect.Query{}}),

		rest("GET /api/v1/users", a.ListUsers, api.Op{ID: "listUsers", Tag: "accounts",
			Summary: "List accounts", Access: "admins and the secretariat (all accounts); focal points (the accounts of their State)",
			Params: []api.Param{
				{Name: "role", In: "query", Type: "string", Enum: roleEnum, Description: "Only accounts with this role."},
				{Name: "state", In: "query", Type: "string", Description: "Only accounts held for this State (ISO alpha-3)."},
				{Name: "q", In: "query", Type: "string", Description: "Part of the e-mail address or name."},
				api.LimitParam, api.OffsetParam,
			},
			Response: api.List[account.User]{}}),
		rest("POST /api/v1/users", a.CreateUser, api.Op{ID: "createUser", Tag: "accounts",
			Summary: "Add an account", Access: "admins", Body: api.NewUser{}, Response: account.User{}, Status: http.StatusCreated,
			Description: "The password must have at least 12 characters. The new user is notified."}),
		rest("GET /api/v1/users/{id}", a.GetUser, api.Op{ID: "getUser", Tag: "accounts",
			Summary: "One account", Access: "the account's owner, admins, the secretariat, and the focal point of its State",
			Params: []api.Param{idParam}, Response: account.User{}}),
		rest("PATCH /api/v1/users/{id}", a.UpdateUser, api.Op{ID: "updateUser", Tag: "accounts",
			Summary: "Change an account's name, role, scope or disabled flag", Access: "admins",
			Description: "Disabling an account ends its sessions.",
			Params:      []api.Param{idParam}, Body: api.UserPatch{}, Response: account.User{}}),

		rest("GET /api/v1/me", a.Me, api.Op{ID: "getMe", Tag: "me",
			Summary: "The caller's own account", Access: signedIn, Response: account.User{}}),
		rest("GET /api/v1/me/tokens", a.ListTokens, api.Op{ID: "listTokens", Tag: "me",
			Summary: "The caller's API tokens (never their secrets)", Access: signedIn, Response: api.List[account.Token]{}}),
		rest("POST /api/v1/me/tokens", a.CreateToken, api.Op{ID: "createToken", Tag: "me",
			Summary: "Make an API token", Access: signedIn, Body: api.NewToken{}, Response: api.CreatedToken{}, Status: http.StatusCreated,
			Description: "The secret is in the answer, once; cpcj keeps only its hash. The token acts with the caller's role and scope. Only a signed-in session makes tokens: a call made with a token is refused (403)."}),
		rest("DELETE /api/v1/me/tokens/{id}", a.RevokeToken, api.Op{ID: "revokeToken", Tag: "me",
			Summary: "Revoke one of the caller's API tokens", Access: signedIn, Params: []api.Param{idParam}, Status: http.StatusNoContent}),
		rest("GET /api/v1/me/notifications", a.ListNotifications, api.Op{ID: "listNotifications", Tag: "me",
			Summary: "The caller's notifications, newest first", Access: signedIn,
			Params:   []api.Param{{Name: "unread", In: "query", Type: "boolean", Description: "Only unread notifications."}, api.LimitParam},
			Response: api.List[notify.Notification]{}}),
		rest("POST /api/v1/me/notifications/{id}/read", a.ReadNotification, api.Op{ID: "readNotification", Tag: "me",
			Summary: "Mark a notification as read", Access: signedIn, Params: []api.Param{idParam}, Status: http.StatusNoContent}),

		rest("GET /api/v1/audit", a.ListAudit, api.Op{ID: "listAudit", Tag: "audit",
			Summary: "The audit trail, newest first", Access: "admins and the secretariat",
			Description: "Every change to programme data, with digests of the record before and after, chained by hash. Page back with before=<the last seq seen>.",
			Params: []api.Param{
				{Name: "entity", In: "query", Type: "string", Description: "Kind of record, e.g. account."},
				{Name: "entity_id", In: "query", Type: "string", Description: "The record's id."},
				{Name: "actor", In: "query", Type: "string", Description: "Part of the actor's e-mail address or name."},
				{Name: "from", In: "query", Type: "string", Description: "First day, YYYY-MM-DD (UTC)."},
				{Name: "to", In: "query", Type: "string", Description: "Last day, YYYY-MM-DD (UTC)."},
				{Name: "before", In: "query", Type: "integer", Description: "Only records numbered below this."},
				{Name: "limit", In: "query", Type: "integer", Description: "Records per page, 1 to 500 (default 100)."},
			},
			Response: api.List[audit.Record]{}}),
	}
}

// collectReaders is who reads the collection, in words.
const collectReaders = "the secretariat, and the focal points and experts of the States"

// submissionStatuses are the statuses a submission can have.
func submissionStatuses() []string {
	var out []string
	for _, s := range collect.Statuses {
		if s != collect.NotStarted {
			out = append(out, string(s))
		}
	}
	return out
}

// statsCaching is what every statistics answer says about caching.
const statsCaching = "Public. Answers carry a weak ETag, which changes with every change of the statistics (observations, code lists, dataflows) and of the program, " +
	"and Last-Modified, the time of the last such change; a conditional request gets 304 Not Modified while nothing changed."

// computeLimits is what the statistics answers that compute say about
// their limits.
var computeLimits = fmt.Sprintf("A view with regions or groups, or with computed rates, is computed in memory: from at most %d stored observations "+
	"(its countries' and its regions' members'; a larger view is refused with 400 naming `area`: narrow it), and by at most %d requests at once on a server "+
	"(others get 503 with Retry-After).", stats.MaxReads, api.MaxComputing)

// viewParams are the parameters of a statistics view (stats.ParseView): the
// dataflow, a code list per dimension and the span of periods.
func viewParams() []api.Param {
	ps := []api.Param{{Name: "flow", In: "query", Type: "string", Required: true, Description: "The dataflow, e.g. HOMICIDE."}}
	for i, p := range stats.ViewParams {
		d := stats.Dimensions[i]
		desc := fmt.Sprintf("%s: codes of %s, separated by commas or given again; all when absent.", d.Name, d.Codelist)
		if d.ID == "REF_AREA" {
			desc = "Countries (ISO alpha-3) and regions: the world 001, M49 regions, UN regional groups; separated by commas or given again."
		}
		ps = append(ps, api.Param{Name: p, In: "query", Type: "string", Description: desc})
	}
	return append(ps,
		api.Param{Name: "start", In: "query", Type: "string", Description: "First period, e.g. 2003 or 2013-Q1."},
		api.Param{Name: "end", In: "query", Type: "string", Description: "Last period."})
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.openapi)
}
