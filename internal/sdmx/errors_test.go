package sdmx_test

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cpcj/cpcj/internal/store"
	"github.com/cpcj/cpcj/internal/store/storetest"
)

// errorMessage is an SDMX-ML 2.1 Error message.
type errorMessage struct {
	XMLName  xml.Name
	Messages []struct {
		Code string `xml:"code,attr"`
		Text []struct {
			Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Text string `xml:",chardata"`
		} `xml:"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common Text"`
	} `xml:"http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message ErrorMessage"`
}

// checkError checks that an answer is an SDMX error message with the
// status, the SDMX code and a text holding the words given.
func checkError(t *testing.T, r response, status, code int, words ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d\n%s", r.status, status, r)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if r.header.Get("ETag") != "" || !strings.Contains(r.header.Get("Cache-Control"), "no-store") {
		t.Errorf("an error with ETag %q, Cache-Control %q", r.header.Get("ETag"), r.header.Get("Cache-Control"))
	}
	checkNamespaces(t, r.body, "Error")
	var m errorMessage
	if err := xml.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("error message: %v\n%s", err, r.body)
	}
	if len(m.Messages) != 1 || len(m.Messages[0].Text) != 1 {
		t.Fatalf("error message %+v", m)
	}
	msg := m.Messages[0]
	if msg.Code != strconv.Itoa(code) || msg.Text[0].Lang != "en" {
		t.Errorf("error code %s (lang %q), want %d: %s", msg.Code, msg.Text[0].Lang, code, msg.Text[0].Text)
	}
	for _, w := range words {
		if !strings.Contains(msg.Text[0].Text, w) {
			t.Errorf("error text %q does not say %q", msg.Text[0].Text, w)
		}
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		const key = "A.KEN.VIC_HOM.0101._T._T._T._T.CJ.NB"
		for _, tc := range []struct {
			name    string
			method  string
			path    string
			headers []string
			status  int
			code    int
			words   []string
		}{
			// Malformed queries: 400, SDMX 140.
			{"key with too few parts", "", "/data/HOMICIDE/A.KEN", nil, 400, 140, []string{"A.KEN", "10"}},
			{"key with a bad code", "", "/data/HOMICIDE/A.K%3CN.VIC_HOM.0101._T._T._T._T.CJ.NB", nil, 400, 140, []string{"REF_AREA"}},
			{"month 13", "", "/data/HOMICIDE/" + key + "?startPeriod=2013-13", nil, 400, 140, []string{"startPeriod", "2013-13"}},
			{"a word for a period", "", "/data/HOMICIDE/" + key + "?endPeriod=last", nil, 400, 140, []string{"endPeriod"}},
			{"end before start", "", "/data/HOMICIDE/" + key + "?startPeriod=2012&endPeriod=2010", nil, 400, 140, []string{"before"}},
			{"zero observations", "", "/data/HOMICIDE/" + key + "?lastNObservations=0", nil, 400, 140, []string{"lastNObservations"}},
			{"text for observations", "", "/data/HOMICIDE/" + key + "?firstNObservations=ten", nil, 400, 140, []string{"firstNObservations"}},
			{"unknown detail", "", "/data/HOMICIDE/" + key + "?detail=most", nil, 400, 140, []string{"detail"}},
			{"unknown observation dimension", "", "/data/HOMICIDE/" + key + "?dimensionAtObservation=COLOUR", nil, 400, 140, []string{"dimensionAtObservation"}},
			{"bad updatedAfter", "", "/data/HOMICIDE/" + key + "?updatedAfter=yesterday", nil, 400, 140, []string{"updatedAfter"}},
			{"bad asOf", "", "/data/HOMICIDE/" + key + "?asOf=2013-13-01", nil, 400, 140, []string{"asOf", "2013-13-01"}},
			{"parameter twice", "", "/data/HOMICIDE/" + key + "?startPeriod=2010&startPeriod=2011", nil, 400, 140, []string{"more than once"}},
			{"unknown format", "", "/data/HOMICIDE/" + key + "?format=xlsx", nil, 400, 140, []string{"xlsx"}},
			{"flowRef with four parts", "", "/data/UNODC,HOMICIDE,1.0,X/" + key, nil, 400, 140, []string{"flowRef"}},
			{"time series flat", "", "/data/HOMICIDE/" + key + "?dimensionAtObservation=AllDimensions&format=generictimeseriesdata", nil, 400, 140, []string{"TIME_PERIOD"}},
			{"bad structure detail", "", "/dataflow/UNODC/HOMICIDE?detail=some", nil, 400, 140, []string{"detail"}},
			{"bad references", "", "/dataflow/UNODC/HOMICIDE?references=friends", nil, 400, 140, []string{"references"}},
			{"item of a dataflow", "", "/dataflow/UNODC/HOMICIDE/1.0/KEN", nil, 400, 140, []string{"itemID"}},
			{"a data query without a dataflow", "", "/data", nil, 400, 140, []string{"flowRef"}},
			{"non-UTF-8 query", "", "/data/HOMICIDE/" + key + "?startPeriod=%FF", nil, 400, 140, []string{"UTF-8"}},

			// Well-formed queries for nothing: 404, SDMX 100.
			{"unknown dataflow", "", "/data/BURGLARY/" + key, nil, 404, 100, []string{"BURGLARY"}},
			{"another agency's dataflow", "", "/data/ECB,HOMICIDE,1.0/" + key, nil, 404, 100, []string{"ECB"}},
			{"another version", "", "/data/UNODC,HOMICIDE,2.0/" + key, nil, 404, 100, []string{"2.0"}},
			{"another provider", "", "/data/HOMICIDE/" + key + "/ECB", nil, 404, 100, []string{"ECB"}},
			{"unknown code", "", "/data/HOMICIDE/A.XYZ.VIC_HOM.0101._T._T._T._T.CJ.NB", nil, 404, 100, []string{"XYZ", "REF_AREA", "CL_AREA"}},
			{"no observation", "", "/data/HOMICIDE/" + key + "?startPeriod=1990&endPeriod=1995", nil, 404, 100, []string{"No observation"}},
			{"a key of codes that never meet", "", "/data/HOMICIDE/A.KEN.POP._Z._T._T._Z._Z._Z.PS", nil, 404, 100, nil},
			{"unknown dataflow structure", "", "/dataflow/UNODC/BURGLARY", nil, 404, 100, []string{"BURGLARY"}},
			{"unknown agency structure", "", "/codelist/ECB", nil, 404, 100, []string{"ECB"}},
			{"unknown version structure", "", "/datastructure/UNODC/CRIME/2.0", nil, 404, 100, []string{"2.0"}},
			{"unknown item", "", "/codelist/UNODC/CL_SEX/1.0/X", nil, 404, 100, []string{"X"}},
			{"unknown resource", "", "/things", nil, 404, 100, []string{"things"}},
			{"unknown path", "", "/data/HOMICIDE/" + key + "/all/more", nil, 404, 100, nil},

			// Representations not offered: 406.
			{"Accept HTML", "", "/data/HOMICIDE/" + key, []string{"Accept", "text/html"}, 406, 1406, []string{"text/html"}},
			{"Accept SDMX-ML 3.0", "", "/data/HOMICIDE/" + key, []string{"Accept", "application/vnd.sdmx.genericdata+xml;version=3.0.0"}, 406, 1406, nil},
			{"Accept refused everything", "", "/data/HOMICIDE/" + key, []string{"Accept", "application/xml;q=0"}, 406, 1406, nil},
			{"labels for XML", "", "/data/HOMICIDE/" + key, []string{"Accept", "application/vnd.sdmx.genericdata+xml;version=2.1;labels=both"}, 406, 1406, []string{"labels"}},
			{"structure as JSON", "", "/dataflow", []string{"Accept", "application/json"}, 406, 1406, nil},
			{"structure as CSV", "", "/dataflow?format=csv", nil, 406, 1406, []string{"csv"}},
			{"data as structure", "", "/data/HOMICIDE/" + key + "?format=structure", nil, 406, 1406, []string{"structure"}},

			// Parts of SDMX the service does not implement: 501.
			{"cross-sectional data", "", "/data/HOMICIDE/" + key + "?dimensionAtObservation=REF_AREA", nil, 501, 501, []string{"REF_AREA"}},
			{"flat series keys", "", "/data/HOMICIDE/" + key + "?dimensionAtObservation=AllDimensions&detail=serieskeysonly", nil, 501, 501, nil},
			{"history", "", "/data/HOMICIDE/" + key + "?includeHistory=true", nil, 501, 501, []string{"includeHistory"}},
			{"category schemes", "", "/categoryscheme", nil, 501, 501, []string{"categoryscheme"}},
			{"schemas", "", "/schema/dataflow/UNODC/HOMICIDE/1.0", nil, 501, 501, nil},
			{"partial code lists", "", "/dataflow/UNODC/HOMICIDE?references=all&detail=referencepartial", nil, 501, 501, nil},

			// Methods.
			{"POST", http.MethodPost, "/data/HOMICIDE/" + key, nil, 405, 140, []string{"GET"}},
			{"DELETE a code list", http.MethodDelete, "/codelist/UNODC/CL_SEX", nil, 405, 140, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				method := tc.method
				if method == "" {
					method = http.MethodGet
				}
				req, err := http.NewRequest(method, h.ts.URL+"/sdmx/rest"+tc.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := 0; i+1 < len(tc.headers); i += 2 {
					req.Header.Set(tc.headers[i], tc.headers[i+1])
				}
				r := h.do(t, req)
				checkError(t, r, tc.status, tc.code, tc.words...)
				if tc.status == 405 && r.header.Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow %q", r.header.Get("Allow"))
				}
			})
		}
	})
}
