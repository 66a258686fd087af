package sdmx

import (
	"net/http"
	"testing"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		accept, format string
		offered        []format
		want           format
		labels         bool
		status         int // of the error, 0 for none
	}{
		{"", "", dataFormats, fmtGeneric, false, 0},
		{"*/*", "", dataFormats, fmtGeneric, false, 0},
		{"application/*", "", dataFormats, fmtGeneric, false, 0},
		{"application/xml", "", dataFormats, fmtGeneric, false, 0},
		{"text/xml", "", dataFormats, fmtGeneric, false, 0},
		{"application/json", "", dataFormats, fmtJSON, false, 0},
		{"text/csv", "", dataFormats, fmtCSV, false, 0},
		{"application/vnd.sdmx.data+csv;version=1.0.0", "", dataFormats, fmtCSV, false, 0},
		{"application/vnd.sdmx.data+csv", "", dataFormats, fmtCSV, false, 0},
		{"application/vnd.sdmx.data+csv; version=1.0.0; labels=both", "", dataFormats, fmtCSV, true, 0},
		{"APPLICATION/VND.SDMX.DATA+CSV;version=\"1.0.0\"", "", dataFormats, fmtCSV, false, 0},
		{"application/vnd.sdmx.data+json;version=1.0.0, application/xml;q=0.5", "", dataFormats, fmtJSON, false, 0},
		{"application/xml;q=0.5, application/vnd.sdmx.data+json;version=1.0.0", "", dataFormats, fmtJSON, false, 0},
		{"application/vnd.sdmx.structurespecificdata+xml;version=2.1, application/vnd.sdmx.genericdata+xml;version=2.1", "", dataFormats, fmtSpecific, false, 0},
		{"application/vnd.sdmx.genericdata+xml;version=2.1;q=0.8, application/vnd.sdmx.structurespecificdata+xml;version=2.1", "", dataFormats, fmtSpecific, false, 0},
		{"application/vnd.sdmx.generictimeseriesdata+xml;version=2.1", "", dataFormats, fmtGenericTS, false, 0},
		{"application/vnd.sdmx.structurespecifictimeseriesdata+xml;version=2.1", "", dataFormats, fmtSpecificTS, false, 0},
		{"*/*;q=0.1, text/csv", "", dataFormats, fmtCSV, false, 0},
		{"application/vnd.sdmx.genericdata+xml;version=3.0.0, */*;q=0.1", "", dataFormats, fmtGeneric, false, 0},
		{"application/vnd.sdmx.genericdata+xml;q=0, */*", "", dataFormats, fmtSpecific, false, 0},
		{"application/*;q=0.5, application/vnd.sdmx.data+json;version=1.0.0;q=0.4", "", dataFormats, fmtGeneric, false, 0},
		{"text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", "", dataFormats, fmtGeneric, false, 0},
		{"text/csv;q=nonsense, application/json", "", dataFormats, fmtJSON, false, 0},
		{"text/html", "", dataFormats, 0, false, 406},
		{"application/xml;q=0", "", dataFormats, 0, false, 406},
		{"application/vnd.sdmx.data+csv;version=2.0.0", "", dataFormats, 0, false, 406},
		{"application/vnd.sdmx.data+json;labels=both", "", dataFormats, 0, false, 406},
		{"text/html", "csv", dataFormats, fmtCSV, false, 0},
		{"", "JSONDATA", dataFormats, fmtJSON, false, 0},
		{"", "structurespecificdata", dataFormats, fmtSpecific, false, 0},
		{"", "xlsx", dataFormats, 0, false, 400},
		{"", "structure", dataFormats, 0, false, 406},
		{"", "", structureFormats, fmtStructure, false, 0},
		{"application/xml", "", structureFormats, fmtStructure, false, 0},
		{"application/vnd.sdmx.structure+xml;version=2.1", "", structureFormats, fmtStructure, false, 0},
		{"application/vnd.sdmx.structure+xml;version=3.0.0", "", structureFormats, 0, false, 406},
		{"application/json", "", structureFormats, 0, false, 406},
		{"", "csv", structureFormats, 0, false, 406},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		c, err := negotiate(r, tc.offered, tc.format)
		switch {
		case tc.status != 0:
			if e, ok := err.(*Error); !ok || e.Status != tc.status {
				t.Errorf("Accept %q format %q: %v, want %d", tc.accept, tc.format, err, tc.status)
			}
		case err != nil:
			t.Errorf("Accept %q format %q: %v", tc.accept, tc.format, err)
		case c.format != tc.want || c.labels != tc.labels:
			t.Errorf("Accept %q format %q: %s labels %v, want %s labels %v", tc.accept, tc.format,
				formats[c.format].media, c.labels, formats[tc.want].media, tc.labels)
		}
	}
}
