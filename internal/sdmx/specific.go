package sdmx

import "github.com/cpcj/cpcj/internal/stats"

// specificWriter writes SDMX-ML 2.1 StructureSpecificData (or
// StructureSpecificTimeSeriesData): components as attributes named by
// their IDs, in the namespace of the data structure's schema.
type specificWriter struct {
	x          *xmlWriter
	m          *message
	timeSeries bool
	inSeries   bool
}

func (s *specificWriter) root() string {
	if s.timeSeries {
		return "message:StructureSpecificTimeSeriesData"
	}
	return "message:StructureSpecificData"
}

// namespace is that of the structure-specific schema of the data
// structure with the observation dimension of the query.
func (s *specificWriter) namespace() string {
	return urn("DataStructure", stats.DSDID) + ":ObsLevelDim:" + s.m.q.dimAtObs
}

func (s *specificWriter) begin() error {
	x := s.x
	x.declaration()
	x.start(s.root(), "xmlns:message", nsMessage, "xmlns:common", nsCommon, "xmlns:ss", nsSpecific,
		"xmlns:xsi", nsXSI, "xmlns:ns1", s.namespace())
	header(x, s.m, s.namespace())
	typ := "ns1:DataSetType"
	if s.timeSeries {
		typ = "ns1:TimeSeriesDataSetType"
	}
	x.start("message:DataSet", "ss:structureRef", stats.DSDID, "ss:dataScope", "DataStructure", "xsi:type", typ)
	return x.err
}

func (s *specificWriter) series(k stats.Key) error {
	x := s.x
	if s.inSeries {
		x.end("Series")
	}
	s.inSeries = true
	attrs := make([]string, 0, 2*len(stats.Dimensions))
	for i, d := range stats.Dimensions {
		attrs = append(attrs, d.ID, k[i])
	}
	if s.m.q.withObservations() {
		x.start("Series", attrs...)
	} else {
		x.open("Series", attrs)
		x.raw("/>\n")
		s.inSeries = false
	}
	return x.err
}

func (s *specificWriter) obs(o *stats.Observation) error {
	attrs := make([]string, 0, 2*(len(stats.Dimensions)+2+len(stats.Attributes)))
	if s.m.q.flat() {
		for i, d := range stats.Dimensions {
			attrs = append(attrs, d.ID, o.Key[i])
		}
	}
	v := formatValue(o.Value)
	if v == "" {
		v = missingValue
	}
	attrs = append(attrs, stats.TimeDimension, o.Period.String(), stats.PrimaryMeasure, v)
	if s.m.q.withAttributes() {
		for _, a := range obsAttributes(o) {
			attrs = append(attrs, a[0], a[1])
		}
	}
	s.x.empty("Obs", attrs...)
	return s.x.err
}

func (s *specificWriter) end() error {
	x := s.x
	if s.inSeries {
		x.end("Series")
	}
	x.end("message:DataSet")
	x.end(s.root())
	return x.flush()
}
