package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cpcj/cpcj/internal/account"
	"github.com/cpcj/cpcj/internal/notify"
	"github.com/cpcj/cpcj/internal/server"
	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
	"github.com/cpcj/cpcj/internal/treaty"
)

// The authorization matrix calls every route of the route table as every
// role, on records of another State (France) than the one the focal point
// and the expert hold theirs for (Kenya), and checks the answer against
// authzWant. A route added to the table without a row here fails the test.

// publicKey is the column of the signed-out public.
const publicKey = "public"

// matrixRoles are the columns of authzWant.
var matrixRoles = [...]string{publicKey, adminKey, secretariatKey, focalPointKey, expertKey, donorKey}

// toSignIn is the answer of a page that sends the public to the sign-in
// form: 303 to /signin?next=….
const toSignIn = -303

// want is the status each role gets, in the order of matrixRoles.
type want [len(matrixRoles)]int

// authzWant is the policy as the HTTP surface shows it: the status each role
// gets from each route, called on the other State's records. 401, 403 and
// 404 are refusals; a record outside the caller's scope is 404, so that its
// existence does not leak either.
//
// Columns: public, admin, secretariat, focal point of Kenya, expert of
// Kenya, donor (Norway).
var authzWant = map[string]want{
	"GET /healthz":                            {200, 200, 200, 200, 200, 200},
	"GET /readyz":                             {200, 200, 200, 200, 200, 200},
	"GET /metrics":                            {200, 200, 200, 200, 200, 200},
	"GET /static/{file}":                      {200, 200, 200, 200, 200, 200},
	"GET /api/v1/openapi.json":                {200, 200, 200, 200, 200, 200},
	"GET /{$}":                                {200, 200, 200, 200, 200, 200},
	"GET /states":                             {200, 200, 200, 200, 200, 200},
	"GET /states/{code}":                      {200, 200, 200, 200, 200, 200},
	"GET /treaties":                           {200, 200, 200, 200, 200, 200},
	"GET /statistics":                         {200, 200, 200, 200, 200, 200},
	"GET /statistics/areas/{code}":            {200, 200, 200, 200, 200, 200},
	"GET /reviews":                            {200, 200, 200, 200, 200, 200},
	"GET /assistance":                         {200, 200, 200, 200, 200, 200},
	"GET /funding":                            {200, 200, 200, 200, 200, 200},
	"GET /cooperation":                        {200, 200, 200, 200, 200, 200},
	"GET /library":                            {200, 200, 200, 200, 200, 200},
	"GET /reports":                            {200, 200, 200, 200, 200, 200},
	"GET /sources/{folder}":                   {200, 200, 200, 200, 200, 200},
	"GET /api":                                {200, 200, 200, 200, 200, 200},
	"GET /signin":                             {200, 303, 303, 303, 303, 303},
	"POST /signin":                            {401, 401, 401, 401, 401, 401},
	"POST /signout":                           {303, 303, 303, 303, 303, 303},
	"POST /language":                          {303, 303, 303, 303, 303, 303},
	"GET /account":                            {toSignIn, 200, 200, 200, 200, 200},
	"POST /account/password":                  {401, 400, 400, 400, 400, 400},
	"POST /account/tokens":                    {401, 200, 200, 200, 200, 200},
	"POST /account/tokens/{id}/revoke":        {404, 303, 404, 404, 404, 404},
	"GET /notifications":                      {toSignIn, 200, 200, 200, 200, 200},
	"POST /notifications/read":                {401, 303, 303, 303, 303, 303},
	"GET /admin/users":                        {toSignIn, 200, 200, 200, 403, 403},
	"POST /admin/users":                       {401, 303, 403, 403, 403, 403},
	"GET /admin/users/{id}":                   {404, 200, 200, 404, 404, 404},
	"POST /admin/users/{id}":                  {404, 303, 403, 404, 404, 404},
	"GET /audit":                              {toSignIn, 200, 200, 403, 403, 403},
	"GET /api/v1/states":                      {200, 200, 200, 200, 200, 200},
	"GET /api/v1/states/{code}":               {200, 200, 200, 200, 200, 200},
	"GET /api/v1/regional-groups":             {200, 200, 200, 200, 200, 200},
	"GET /api/v1/users":                       {401, 200, 200, 200, 403, 403},
	"POST /api/v1/users":                      {401, 201, 403, 403, 403, 403},
	"GET /api/v1/users/{id}":                  {404, 200, 200, 404, 404, 404},
	"PATCH /api/v1/users/{id}":                {401, 200, 403, 403, 403, 403},
	"GET /api/v1/me":                          {401, 200, 200, 200, 200, 200},
	"GET /api/v1/me/tokens":                   {401, 200, 200, 200, 200, 200},
	"POST /api/v1/me/tokens":                  {401, 201, 201, 201, 201, 201},
	"DELETE /api/v1/me/tokens/{id}":           {401, 204, 404, 404, 404, 404},
	"GET /api/v1/me/notifications":            {401, 200, 200, 200, 200, 200},
	"POST /api/v1/me/notifications/{id}/read": {401, 404, 404, 404, 404, 404},
	"GET /api/v1/audit":                       {401, 200, 200, 403, 403, 403},

	"GET /treaties/{id}":                      {200, 200, 200, 200, 200, 200},
	"GET /treaties/annex":                     {200, 200, 200, 200, 200, 200},
	"GET /treaties/import":                    {toSignIn, 200, 200, 403, 403, 403},
	"POST /treaties/import":                   {401, 400, 400, 403, 403, 403},
	"GET /treaties/records/new":               {toSignIn, 200, 200, 403, 403, 403},
	"POST /treaties/records":                  {401, 303, 303, 403, 403, 403},
	"GET /treaties/records/{id}":              {toSignIn, 200, 200, 403, 403, 403},
	"POST /treaties/records/{id}":             {401, 303, 303, 403, 403, 403},
	"POST /treaties/records/{id}/retract":     {401, 303, 303, 403, 403, 403},
	"GET /api/v1/states/{code}/treaties":      {200, 200, 200, 200, 200, 200},
	"GET /api/v1/instruments":                 {200, 200, 200, 200, 200, 200},
	"GET /api/v1/instruments/{id}":            {200, 200, 200, 200, 200, 200},
	"GET /api/v1/instruments/{id}/status":     {200, 200, 200, 200, 200, 200},
	"GET /api/v1/participation":               {200, 200, 200, 200, 200, 200},
	"POST /api/v1/participation":              {401, 201, 201, 403, 403, 403},
	"PATCH /api/v1/participation/{id}":        {401, 200, 200, 403, 403, 403},
	"POST /api/v1/participation/{id}/retract": {401, 204, 204, 403, 403, 403},
	"POST /api/v1/participation/import":       {401, 422, 422, 403, 403, 403},

	// The statistics JSON API: a view needs at least its dataflow, which
	// the matrix does not give (400 for everyone).
	"GET /api/v1/stats/dataflows":      {200, 200, 200, 200, 200, 200},
	"GET /api/v1/stats/dataflows/{id}": {200, 200, 200, 200, 200, 200},
	"GET /api/v1/stats/codelists":      {200, 200, 200, 200, 200, 200},
	"GET /api/v1/stats/codelists/{id}": {200, 200, 200, 200, 200, 200},
	"GET /api/v1/stats/observations":   {400, 400, 400, 400, 400, 400},
	"GET /api/v1/stats/explore":        {400, 400, 400, 400, 400, 400},
	"GET /api/v1/stats/download":       {400, 400, 400, 400, 400, 400},

	// The collection API, on France's answer to a round (otherCollection):
	// rounds are no State's, what France sent is France's. No one of the
	// matrix may save France's figures or submit its table.
	"GET /api/v1/collection/rounds":                         {401, 200, 200, 200, 200, 403},
	"GET /api/v1/collection/rounds/{id}":                    {401, 200, 200, 200, 200, 403},
	"GET /api/v1/collection/rounds/{id}/submissions":        {401, 200, 200, 200, 200, 403},
	"PUT /api/v1/collection/rounds/{id}/states/{code}/data": {401, 403, 403, 403, 403, 403},
	"GET /api/v1/collection/submissions/{id}":               {401, 200, 200, 404, 404, 404},
	"POST /api/v1/collection/submissions/{id}/submit":       {401, 403, 403, 404, 404, 404},
	"GET /api/v1/collection/submissions/{id}/queries":       {401, 200, 200, 404, 404, 404},
	"POST /api/v1/collection/submissions/{id}/queries":      {401, 201, 201, 404, 404, 404},
	"POST /api/v1/collection/queries/{id}/replies":          {401, 200, 200, 404, 404, 404},

	// The collection's validation rules are no State's: everyone taking
	// part reads them, only the secretariat changes them.
	"GET /collection/rules":       {toSignIn, 200, 200, 200, 200, 403},
	"POST /collection/rules":      {401, 303, 303, 403, 403, 403},
	"GET /collection/rules/{id}":  {toSignIn, 200, 200, 200, 200, 403},
	"POST /collection/rules/{id}": {401, 303, 303, 403, 403, 403},

	// The collection's pages for the secretariat and the review of
	// France's table (otherCollection). A focal point or an expert sent
	// to a round's dashboard goes to their own State's page of it. The
	// routes run in the order of the table, each role in turn: France's
	// queried table cannot be published (409), the admin validates it and
	// the secretariat cannot again (409), and the queries raised after
	// leave it queried, as the collection API's rows expect.
	"GET /collection":                            {toSignIn, 200, 200, 200, 200, 403},
	"POST /collection/rounds":                    {401, 303, 303, 403, 403, 403},
	"GET /collection/rounds/{id}":                {toSignIn, 200, 200, 303, 303, 403},
	"POST /collection/rounds/{id}/close":         {401, 303, 303, 403, 403, 403},
	"POST /collection/rounds/{id}/publish":       {401, 400, 400, 403, 403, 403},
	"GET /collection/submissions/{id}":           {toSignIn, 200, 200, 404, 404, 404},
	"POST /collection/submissions/{id}/publish":  {401, 409, 409, 403, 403, 403},
	"POST /collection/submissions/{id}/validate": {401, 303, 409, 404, 404, 404},
	"POST /collection/submissions/{id}/queries":  {401, 303, 303, 404, 404, 404},
	"POST /collection/queries/{id}/reply":        {401, 303, 303, 404, 404, 404},

	// France's answer to a round, on its focal point's pages: the
	// programme reads it, and no one of the matrix may answer for France.
	// France's check of an uploaded file is its focal point's and the
	// programme's to see.
	"GET /collection/rounds/{id}/states/{code}":                        {toSignIn, 200, 200, 403, 403, 403},
	"GET /collection/rounds/{id}/states/{code}/workbook":               {toSignIn, 200, 200, 403, 403, 403},
	"GET /collection/rounds/{id}/states/{code}/tables/{table}":         {toSignIn, 200, 200, 403, 403, 403},
	"POST /collection/rounds/{id}/states/{code}/tables/{table}":        {401, 403, 403, 403, 403, 403},
	"POST /collection/rounds/{id}/states/{code}/tables/{table}/submit": {401, 403, 403, 403, 403, 403},
	"GET /collection/rounds/{id}/states/{code}/upload":                 {toSignIn, 403, 403, 403, 403, 403},
	"POST /collection/rounds/{id}/states/{code}/upload":                {401, 403, 403, 403, 403, 403},
	"GET /collection/jobs/{id}":                                        {toSignIn, 200, 200, 404, 404, 404},
	"POST /collection/jobs/{id}/save":                                  {401, 403, 403, 404, 404, 404},

	// Published statistics are public, through SDMX as elsewhere.
	"GET /sdmx/rest/{resource}":                                            {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/{resource}/{agencyID}":                                 {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/{resource}/{agencyID}/{resourceID}":                    {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/{resource}/{agencyID}/{resourceID}/{version}":          {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/{resource}/{agencyID}/{resourceID}/{version}/{itemID}": {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/data/{flowRef}":                                        {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/data/{flowRef}/{key}":                                  {200, 200, 200, 200, 200, 200},
	"GET /sdmx/rest/data/{flowRef}/{key}/{providerRef}":                    {200, 200, 200, 200, 200, 200},
}

// body is what the matrix sends to a route that takes one: JSON or a form.
type body struct {
	json string
	form url.Values
}

// matrixBodies are valid-looking bodies for the routes that change data;
// n makes e-mail addresses and names unique. Every account they create is
// the other State's, under its domain.
var matrixBodies = map[string]func(n int) body{
	"POST /signin": func(n int) body {
		return body{form: url.Values{"email": {fmt.Sprintf("nobody.%d@cpcj.test", n)}, "password": {"not the password"}, "next": {"/account"}}}
	},
	"POST /signout":  func(int) body { return body{form: url.Values{}} },
	"POST /language": func(int) body { return body{form: url.Values{"lang": {"en"}, "back": {"/states"}}} },
	"POST /account/password": func(int) body {
		return body{form: url.Values{"current": {"not the password"}, "password": {"a brand new password"}, "confirm": {"a brand new password"}}}
	},
	"POST /account/tokens": func(n int) body {
		return body{form: url.Values{"name": {fmt.Sprintf("page token %d", n)}, "days": {"30"}}}
	},
	"POST /account/tokens/{id}/revoke": func(int) body { return body{form: url.Values{}} },
	"POST /notifications/read":         func(int) body { return body{form: url.Values{}} },
	"POST /admin/users": func(n int) body {
		return body{form: url.Values{"email": {fmt.Sprintf("page.%d@fra.cpcj.test", n)}, "name": {"Page-made FRA expert"},
			"role": {"expert"}, "state": {"FRA"}, "password": {password}}}
	},
	"POST /admin/users/{id}": func(int) body {
		return body{form: url.Values{"name": {fraFocal().Name}, "role": {"focal_point"}, "state": {"FRA"}}}
	},
	"POST /api/v1/users": func(n int) body {
		return body{json: fmt.Sprintf(`{"email":"api.%d@fra.cpcj.test","name":"API-made FRA expert","role":"expert","state":"FRA","password":%q}`, n, password)}
	},
	"PATCH /api/v1/users/{id}":      func(int) body { return body{json: fmt.Sprintf(`{"name":%q}`, fraFocal().Name)} },
	"POST /api/v1/me/tokens":        func(n int) body { return body{json: fmt.Sprintf(`{"name":"api token %d","expires_in_days":30}`, n)} },
	"DELETE /api/v1/me/tokens/{id}": func(int) body { return body{} },

	// Participation records are public; the matrix checks that only the
	// secretariat and admins may change them. Each new record is a
	// signature on its own date, marked as a historical exception so that
	// the treaty rules let the matrix enter many.
	"POST /treaties/import": func(int) body { return body{form: url.Values{"commit": {"no"}}} },
	"POST /treaties/records": func(n int) body {
		return body{form: url.Values{"instrument": {"XVIII-14"}, "participant": {"FRA"}, "action": {"signature"},
			"date": {matrixDate(n)}, "source": {"matrix test"}, "records_as_of": {"2015-03-14"}, "exception": {"matrix test"}}}
	},
	"POST /treaties/records/{id}": func(int) body {
		return body{form: url.Values{"instrument": {"XVIII-14"}, "participant": {"FRA"}, "action": {"ratification"},
			"date": {"2005-07-11"}, "source": {"matrix test"}, "records_as_of": {"2015-03-14"}}}
	},
	"POST /treaties/records/{id}/retract": func(int) body { return body{form: url.Values{"reason": {"matrix test"}}} },
	"POST /api/v1/participation": func(n int) body {
		return body{json: fmt.Sprintf(`{"instrument":"UNCAC","participant":"FRA","action":"signature","date":%q,"source":"matrix test","records_as_of":"2015-03-14","exception":"matrix test"}`, matrixDate(n))}
	},
	"PATCH /api/v1/participation/{id}": func(int) body {
		return body{json: `{"instrument":"XVIII-12-b","participant":"FRA","action":"ratification","date":"2002-10-29","source":"matrix test","records_as_of":"2015-03-14"}`}
	},
	"POST /api/v1/participation/{id}/retract": func(int) body { return body{json: `{"reason":"matrix test"}`} },
	"POST /api/v1/participation/import":       func(int) body { return body{json: `{"not":"a CSV file"}`} },
	"POST /api/v1/me/notifications/{id}/read": func(int) body { return body{} },

	"PUT /api/v1/collection/rounds/{id}/states/{code}/data": func(int) body { return body{} },
	"POST /api/v1/collection/submissions/{id}/submit":       func(int) body { return body{} },
	"POST /api/v1/collection/submissions/{id}/queries": func(n int) body {
		return body{json: fmt.Sprintf(`{"key":{"FREQ":"A","REF_AREA":"FRA","INDICATOR":"OFF","ICCS":"020111","SEX":"_T","AGE":"_T","RELATIONSHIP":"_Z","CYBER":"_T","SOURCE_TYPE":"CJ","UNIT_MEASURE":"NB"},"period":"2023","body":"matrix question %d"}`, n)}
	},
	"POST /api/v1/collection/queries/{id}/replies": func(n int) body { return body{json: fmt.Sprintf(`{"body":"matrix reply %d"}`, n)} },
	"POST /collection/rules": func(n int) body {
		return body{form: url.Values{"name": {fmt.Sprintf("Matrix rule %d", n)}, "kind": {"count"}, "severity": {"warning"}, "unit": {"PS"}, "enabled": {"yes"}}}
	},
	"POST /collection/rounds": func(n int) body {
		return body{form: url.Values{"name": {fmt.Sprintf("UN-CTS matrix %d", n)}, "year": {"2023"}, "opens_on": {"2024-01-15"},
			"due_on": {"2024-06-30"}, "table": {"OFFENCES_POLICE"}}}
	},
	"POST /collection/rounds/{id}/close":         func(int) body { return body{form: url.Values{}} },
	"POST /collection/rounds/{id}/publish":       func(int) body { return body{form: url.Values{}} },
	"POST /collection/submissions/{id}/publish":  func(int) body { return body{form: url.Values{}} },
	"POST /collection/submissions/{id}/validate": func(int) body { return body{form: url.Values{}} },
	"POST /collection/submissions/{id}/queries": func(n int) body {
		return body{form: url.Values{"value": {"A.FRA.OFF.020111._T._T._Z._T.CJ.NB@2023"}, "body": {fmt.Sprintf("matrix page question %d", n)}}}
	},
	"POST /collection/queries/{id}/reply": func(n int) body {
		return body{form: url.Values{"body": {fmt.Sprintf("matrix page reply %d", n)}}}
	},
	"POST /collection/rules/{id}": func(n int) body {
		return body{form: url.Values{"name": {"Counts are whole numbers, 0 or more"}, "severity": {"error"}, "unit": {"NB"}, "enabled": {"yes"},
			"note": {fmt.Sprintf("Changed by the matrix (%d).", n)}}}
	},
	"POST /collection/rounds/{id}/states/{code}/tables/{table}": func(n int) body {
		return body{form: url.Values{"v-0-0": {strconv.Itoa(n)}, "s-0-0": {"A"}, "n-0-0": {"matrix"}}}
	},
	"POST /collection/rounds/{id}/states/{code}/tables/{table}/submit": func(int) body { return body{form: url.Values{}} },
	"POST /collection/rounds/{id}/states/{code}/upload":                func(int) body { return body{form: url.Values{"flow": {"OFFENCES"}}} },
	"POST /collection/jobs/{id}/save":                                  func(int) body { return body{form: url.Values{}} },
}

// matrixDate is a distinct date for each record the matrix enters.
func matrixDate(n int) string {
	return time.Date(2004, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(time.DateOnly)
}

// endsSession are the routes after which the caller's session is gone;
// the matrix gives them a session of their own.
var endsSession = map[string]bool{"POST /signout": true}

func fraFocal() account.User {
	for _, tu := range testUsers {
		if tu.key == fraFocalKey {
			return tu.u
		}
	}
	panic("no FRA focal point")
}

// otherState is France's private records and how to name them in paths.
type otherState struct {
	// params fill path parameters: by name, and for {id} by the
	// collection it is in, e.g. "tokens/{id}".
	params map[string]string
	// secrets are strings of France's private records that no one outside
	// France's scope may be shown.
	secrets []string
}

// newOtherState gives France's focal point a token and a notification of
// their own, beside their account.
func newOtherState(t testing.TB, h *harness) *otherState {
	t.Helper()
	ctx := context.Background()
	fp, ex := h.actors[fraFocalKey], h.actors[fraExpertKey]
	tok, _, err := h.accounts.CreateToken(ctx, fp.user.Actor(), "Fraisier private token", 0)
	if err != nil {
		t.Fatal(err)
	}
	note, err := h.db.AddNotification(ctx, notify.Notification{UserID: fp.user.ID, Subject: "Note for Fleur about the French review",
		Body: "Private.", Link: "/account", CreatedAt: time.Now()}, false, "")
	if err != nil {
		t.Fatal(err)
	}
	prefix := func(secret string) string { return secret[:len(account.TokenPrefix)+6] }
	coll := newOtherCollection(t, h)
	check, checkSecrets := newOtherCheck(t, h, coll.round)
	o := &otherState{
		params: map[string]string{
			"{code}":             "FRA",
			"{file}":             h.staticFile(t),
			"{folder}":           "states",
			"users/{id}":         strconv.FormatInt(fp.user.ID, 10),
			"tokens/{id}":        strconv.FormatInt(tok.ID, 10),
			"notifications/{id}": strconv.FormatInt(note.ID, 10),
			"treaties/{id}":      "XVIII-12",
			"instruments/{id}":   "UNTOC",
			"records/{id}":       recordID(t, h, "XVIII-14"),
			"participation/{id}": recordID(t, h, "XVIII-12-b"),
			// The SDMX API over the statistics that migrating loads.
			"{resource}":    "codelist",
			"{agencyID}":    "UNODC",
			"{resourceID}":  "CL_SEX",
			"{version}":     "1.0",
			"{itemID}":      "F",
			"{flowRef}":     "HOMICIDE",
			"{key}":         "A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB",
			"{providerRef}": "all",

			// The statistics JSON API.
			"dataflows/{id}": "HOMICIDE",
			"codelists/{id}": "CL_ICCS",

			// France's answer to a collection round.
			"rounds/{id}":      strconv.FormatInt(coll.round, 10),
			"submissions/{id}": strconv.FormatInt(coll.submission, 10),
			"queries/{id}":     strconv.FormatInt(coll.query, 10),
			// A shipped validation rule (counts are whole numbers).
			"rules/{id}": "8",
			// France's answer on its focal point's pages.
			"{table}":   policeTest.ID,
			"jobs/{id}": strconv.FormatInt(check, 10),
		},
		// Every account of France, the harness's and those the matrix
		// makes, has an address at fra.cpcj.test.
		secrets: []string{fp.user.Email, ex.user.Email, "fra.cpcj.test", fp.user.Name, ex.user.Name,
			tok.Name, tok.Prefix, prefix(fp.token), prefix(ex.token), note.Subject},
	}
	o.secrets = append(o.secrets, coll.secrets...)
	o.secrets = append(o.secrets, checkSecrets...)
	return o
}

// recordID is the id of France's ratification of an instrument.
func recordID(t testing.TB, h *harness, instrument string) string {
	t.Helper()
	rs, err := h.db.Records(context.Background(), treaty.Filter{Instrument: instrument, Participant: "FRA"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Action.Consents() {
			return strconv.FormatInt(r.ID, 10)
		}
	}
	t.Fatalf("France has no deposit for %s", instrument)
	return ""
}

// fill puts the other State's values into a route's path.
func (o *otherState) fill(t testing.TB, path string) string {
	t.Helper()
	path = strings.TrimSuffix(path, "{$}")
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			continue
		}
		key := p
		if p == "{id}" {
			key = parts[i-1] + "/" + p
		}
		v, ok := o.params[key]
		if !ok {
			t.Fatalf("path %s has the parameter %s, which otherState.params (authz_test.go) has no value for: add one naming a record of the other State", path, key)
		}
		parts[i] = v
	}
	return strings.Join(parts, "/")
}

// leaks returns the other State's secrets found in the response.
func (o *otherState) leaks(r response) []string {
	var found []string
	for _, s := range o.secrets {
		if strings.Contains(r.body, s) || strings.Contains(r.header.Get("Location"), s) {
			found = append(found, s)
		}
	}
	return found
}

// tokenWant overrides authzWant for calls made with an API token, where a
// token may do less than a session of the same account.
var tokenWant = map[string]want{
	// A leaked token must not be able to mint more of itself.
	"POST /api/v1/me/tokens": {0, 403, 403, 403, 403, 403},
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, everyone...)
		other := newOtherState(t, h)
		inTable := map[string]bool{}
		seq := 0 // makes bodies unique
		programmeSaw := false
		for _, rt := range h.srv.Routes() {
			inTable[rt.Pattern] = true
			w, ok := authzWant[rt.Pattern]
			if !ok {
				t.Errorf("route %q has no row in authzWant (internal/server/authz_test.go): add one saying what each role gets", rt.Pattern)
				continue
			}
			method, pattern, _ := strings.Cut(rt.Pattern, " ")
			mkBody, hasBody := matrixBodies[rt.Pattern]
			if method != http.MethodGet && !hasBody {
				t.Errorf("route %q changes data but matrixBodies (internal/server/authz_test.go) has no body for it: add a valid-looking one", rt.Pattern)
				continue
			}
			path := other.fill(t, pattern)
			vias := []auth{viaSession}
			if rt.Kind == server.API {
				vias = append(vias, viaToken)
			}
			for i, role := range matrixRoles {
				for _, via := range vias {
					if role == publicKey && via == viaToken {
						continue
					}
					name := rt.Pattern + "/" + role
					if via == viaToken {
						name += "/token"
					}
					t.Run(name, func(t *testing.T) {
						as := h.actors[role]
						if endsSession[rt.Pattern] {
							as = h.freshSession(t, as)
						}
						seq++
						c := call{method: method, path: path, as: as, via: via}
						if hasBody {
							b := mkBody(seq)
							c.body, c.form = b.json, b.form
						}
						r := h.do(t, c)
						expect := w[i]
						if tw, ok := tokenWant[rt.Pattern]; ok && via == viaToken {
							expect = tw[i]
						}
						checkAnswer(t, rt, r, expect)
						leaked := other.leaks(r)
						switch role {
						case adminKey, secretariatKey:
							programmeSaw = programmeSaw || len(leaked) > 0
						default:
							if len(leaked) > 0 {
								t.Errorf("%s %s as %s shows the other State's private data %q\n%s", method, path, role, leaked, r)
							}
						}
					})
				}
			}
		}
		for p := range authzWant {
			if !inTable[p] {
				t.Errorf("authzWant has a row for %q, which is not in the route table: remove it", p)
			}
		}
		for p := range matrixBodies {
			if !inTable[p] {
				t.Errorf("matrixBodies has a body for %q, which is not in the route table: remove it", p)
			}
		}
		// The leak check means something only if programme-wide roles, who
		// may see France's records, do see them somewhere.
		if !programmeSaw {
			t.Errorf("no response to the admin or the secretariat showed any of %q: the leak check looks for the wrong strings", other.secrets)
		}
		if n := h.logs.errorCount(); n > 0 {
			t.Errorf("the server logged %d errors", n)
		}
	})
}

// downloads are the pages that answer a file rather than HTML, with its
// type.
var downloads = map[string]string{
	"GET /collection/rounds/{id}/states/{code}/workbook": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// checkAnswer checks a response's status and, for refusals, its form:
// problem documents from the API, error pages from the UI.
func checkAnswer(t *testing.T, rt server.Route, r response, want int) {
	t.Helper()
	if want == toSignIn {
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?next=") {
			t.Errorf("got %d to %q, want 303 to the sign-in form\n%s", r.status, loc, r)
		}
		return
	}
	if r.status != want {
		t.Errorf("status %d, want %d\n%s", r.status, want, r)
		return
	}
	switch {
	case r.status >= 400 && rt.Kind == server.API:
		problemOf(t, r, want, "")
	case r.status >= 400 && rt.Kind == server.SDMX:
		if ct := r.header.Get("Content-Type"); ct != "application/xml; charset=utf-8" || !strings.Contains(r.body, "<message:Error") {
			t.Errorf("refusal as %q, want an SDMX error message\n%s", ct, r)
		}
	case r.status >= 400:
		if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("refusal as %q, want an HTML page", ct)
		}
		if !strings.Contains(r.body, `<html lang="en" dir="ltr">`) {
			t.Errorf("refusal is not a page of the site\n%s", r)
		}
	case r.status == http.StatusOK && downloads[rt.Pattern] != "":
		if ct := r.header.Get("Content-Type"); ct != downloads[rt.Pattern] {
			t.Errorf("download as %q, want %q", ct, downloads[rt.Pattern])
		}
	case r.status == http.StatusOK && rt.Kind == server.Page:
		if !strings.Contains(r.body, `<html lang="en" dir="ltr">`) {
			t.Errorf("page without <html lang dir>\n%s", r)
		}
	}
}

// TestAuthorizationOwnScope checks the other side of the matrix: a focal
// point sees the accounts of their own State, and an expert does not.
func TestAuthorizationOwnScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, focalPointKey, expertKey, fraFocalKey, donorKey)
		fp, ex, fra := h.actors[focalPointKey], h.actors[expertKey], h.actors[fraFocalKey]
		expertID := strconv.FormatInt(ex.user.ID, 10)

		var list struct {
			Items []account.User `json:"items"`
			Total int            `json:"total"`
		}
		decodeJSON(t, h.do(t, call{path: "/api/v1/users", as: fp, via: viaToken}), http.StatusOK, &list)
		if list.Total != 2 || len(list.Items) != 2 {
			t.Errorf("Kenya's focal point lists %d accounts (total %d), want Kenya's 2", len(list.Items), list.Total)
		}
		for _, u := range list.Items {
			if u.State != "KEN" {
				t.Errorf("Kenya's focal point lists %s of %q", u.Email, u.State)
			}
		}
		// Asking for France's accounts gives none, not an error that would
		// tell them apart from a State without accounts.
		decodeJSON(t, h.do(t, call{path: "/api/v1/users?state=FRA", as: fp, via: viaToken}), http.StatusOK, &list)
		if list.Total != 0 {
			t.Errorf("Kenya's focal point lists %d of France's accounts", list.Total)
		}

		var u account.User
		decodeJSON(t, h.do(t, call{path: "/api/v1/users/" + expertID, as: fp, via: viaToken}), http.StatusOK, &u)
		if u.Email != ex.user.Email {
			t.Errorf("got %s, want %s", u.Email, ex.user.Email)
		}
		// Everyone reads their own account, and no one else's.
		decodeJSON(t, h.do(t, call{path: "/api/v1/users/" + expertID, as: ex, via: viaToken}), http.StatusOK, &u)
		problemOf(t, h.do(t, call{path: "/api/v1/users/" + strconv.FormatInt(fp.user.ID, 10), as: ex, via: viaToken}), http.StatusNotFound, "")
		problemOf(t, h.do(t, call{path: "/api/v1/users/" + expertID, as: fra, via: viaToken}), http.StatusNotFound, "")

		if r := h.get(t, "/admin/users/"+expertID, fp); r.status != http.StatusOK || !strings.Contains(r.body, ex.user.Email) {
			t.Errorf("Kenya's focal point cannot see Kenya's expert's page\n%s", r)
		}
		// The State's page lists its accounts to its focal point only.
		if r := h.get(t, "/states/KEN", fp); !strings.Contains(r.body, `id="accounts"`) || !strings.Contains(r.body, ex.user.Name) {
			t.Errorf("/states/KEN does not show Kenya's accounts to Kenya's focal point")
		}
		for _, as := range []*actor{nil, ex, fra, h.actors[donorKey]} {
			if r := h.get(t, "/states/KEN", as); r.status != http.StatusOK || strings.Contains(r.body, `id="accounts"`) || strings.Contains(r.body, fp.user.Name) {
				t.Errorf("/states/KEN as %v: status %d, or shows Kenya's accounts", as, r.status)
			}
		}
	})
}

// TestCSRF checks that forms and browser API calls that change data must
// carry the session's token.
func TestCSRF(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite), focalPointKey, expertKey)
	fp := h.actors[focalPointKey]
	form := url.Values{"lang": {"en"}, "back": {"/"}}
	for _, tc := range []struct {
		name string
		c    call
		want int
	}{
		{"form with the token", call{method: "POST", path: "/language", as: fp, form: form}, http.StatusSeeOther},
		{"form without a token", call{method: "POST", path: "/language", as: fp, form: form, noCSRF: true}, http.StatusForbidden},
		{"form with another session's token", call{method: "POST", path: "/language", as: fp,
			form: url.Values{"lang": {"en"}, "csrf": {h.actors[expertKey].csrf}}, noCSRF: true}, http.StatusForbidden},
		{"form with the cookie's token in a session", call{method: "POST", path: "/notifications/read", as: fp,
			form: url.Values{"csrf": {publicCSRF}}, noCSRF: true}, http.StatusForbidden},
		{"public form with the cookie's token", call{method: "POST", path: "/language", form: form}, http.StatusSeeOther},
		{"public form without a token", call{method: "POST", path: "/language", form: form, noCSRF: true}, http.StatusForbidden},
		{"public form with a wrong token", call{method: "POST", path: "/signin",
			form: url.Values{"email": {fp.user.Email}, "password": {password}, "csrf": {"x" + publicCSRF}}, noCSRF: true}, http.StatusForbidden},
		{"sign-out without a token", call{method: "POST", path: "/signout", as: fp, form: url.Values{}, noCSRF: true}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(t, tc.c)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d\n%s", r.status, tc.want, r)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(r.body, "did not come from this site") {
				t.Errorf("refusal does not explain itself\n%s", r)
			}
		})
	}
	// The session survived the refused sign-out.
	if r := h.get(t, "/account", fp); r.status != http.StatusOK {
		t.Errorf("after a refused sign-out: /account %d", r.status)
	}

	// A browser session calling the API shows its token in a header; an API
	// token needs none.
	tok := `{"name":"csrf test"}`
	problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: tok, noCSRF: true}), http.StatusForbidden, "X-CSRF-Token")
	problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: tok, noCSRF: true,
		header: map[string]string{"X-CSRF-Token": "wrong"}}), http.StatusForbidden, "X-CSRF-Token")
	if r := h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: tok}); r.status != http.StatusCreated {
		t.Errorf("session with X-CSRF-Token: %s", r)
	}
	// An API token needs no X-CSRF-Token: its request passes that check and
	// reaches the rule that tokens do not make tokens.
	problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, via: viaToken, body: tok}), http.StatusForbidden, "")
	if r := h.do(t, call{method: "DELETE", path: "/api/v1/me/tokens/999999", as: fp, via: viaToken}); r.status != http.StatusNotFound {
		t.Errorf("API token without X-CSRF-Token: %s", r)
	}
	// Reading needs no token.
	if r := h.do(t, call{path: "/api/v1/me", as: fp, noCSRF: true}); r.status != http.StatusOK {
		t.Errorf("GET /api/v1/me by session: %s", r)
	}
}

// TestCrossOrigin checks that the server refuses requests that change data
// when the browser says they come from another site, whatever they carry.
func TestCrossOrigin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storetest.Open(t, store.SQLite), focalPointKey)
	fp := h.actors[focalPointKey]
	crossSite := map[string]string{"Sec-Fetch-Site": "cross-site"}
	otherOrigin := map[string]string{"Origin": "https://evil.example"}

	for _, hdr := range []map[string]string{crossSite, otherOrigin} {
		r := h.do(t, call{method: "POST", path: "/language", as: fp, form: url.Values{"lang": {"fr"}}, header: hdr})
		if r.status != http.StatusForbidden || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("cross-site form %v: %s", hdr, r)
		}
		problemOf(t, h.do(t, call{method: "POST", path: "/api/v1/me/tokens", as: fp, body: `{"name":"x"}`, header: hdr}), http.StatusForbidden, "")
		problemOf(t, h.do(t, call{method: "DELETE", path: "/api/v1/me/tokens/999999", as: fp, via: viaToken, header: hdr}), http.StatusForbidden, "")
	}
	// Reading across sites is what links do.
	if r := h.do(t, call{path: "/account", as: fp, header: crossSite}); r.status != http.StatusOK {
		t.Errorf("cross-site GET: %s", r)
	}
	// The same site is welcome.
	if r := h.do(t, call{method: "POST", path: "/language", as: fp, form: url.Values{"lang": {"en"}},
		header: map[string]string{"Sec-Fetch-Site": "same-origin"}}); r.status != http.StatusSeeOther {
		t.Errorf("same-origin form: %s", r)
	}
}
