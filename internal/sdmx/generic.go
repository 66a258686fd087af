package sdmx

import (
	"time"

	"github.com/cpcj/cpcj/internal/stats"
)

// missingValue is how SDMX-ML writes an observation without a value.
const missingValue = "NaN"

// header writes the header of a data message. The structure is the data
// structure, whose ID is also the structure's local ID, so that a client
// that follows structureRef asks for the right data structure.
func header(x *xmlWriter, m *message, namespace string) {
	x.start("message:Header")
	x.text("message:ID", m.id)
	x.text("message:Test", "false")
	x.text("message:Prepared", m.prepared.UTC().Format(time.RFC3339))
	x.start("message:Sender", "id", stats.Agency)
	x.text("common:Name", senderName, "xml:lang", "en")
	x.end("message:Sender")
	x.text("common:Name", m.flow.Name, "xml:lang", "en")
	attrs := []string{"structureID", stats.DSDID}
	if namespace != "" {
		attrs = append(attrs, "namespace", namespace)
	}
	attrs = append(attrs, "dimensionAtObservation", m.q.dimAtObs)
	x.start("message:Structure", attrs...)
	x.ref("common:Structure", "agencyID", stats.Agency, "id", stats.DSDID, "version", stats.Version)
	x.end("message:Structure")
	if m.flow.Source != "" {
		x.text("message:Source", m.flow.Source, "xml:lang", "en")
	}
	x.end("message:Header")
}

// genericWriter writes SDMX-ML 2.1 GenericData (or GenericTimeSeriesData).
type genericWriter struct {
	x          *xmlWriter
	m          *message
	timeSeries bool
	inSeries   bool
}

func (g *genericWriter) root() string {
	if g.timeSeries {
		return "message:GenericTimeSeriesData"
	}
	return "message:GenericData"
}

func (g *genericWriter) begin() error {
	x := g.x
	x.declaration()
	x.start(g.root(), "xmlns:message", nsMessage, "xmlns:common", nsCommon, "xmlns:generic", nsGeneric)
	header(x, g.m, "")
	x.start("message:DataSet", "structureRef", stats.DSDID)
	return x.err
}

func (g *genericWriter) series(k stats.Key) error {
	x := g.x
	if g.inSeries {
		x.end("generic:Series")
	}
	g.inSeries = true
	x.start("generic:Series")
	x.start("generic:SeriesKey")
	for i, d := range stats.Dimensions {
		x.empty("generic:Value", "id", d.ID, "value", k[i])
	}
	x.end("generic:SeriesKey")
	return x.err
}

func (g *genericWriter) obs(o *stats.Observation) error {
	x := g.x
	x.start("generic:Obs")
	if g.m.q.flat() {
		x.start("generic:ObsKey")
		for i, d := range stats.Dimensions {
			x.empty("generic:Value", "id", d.ID, "value", o.Key[i])
		}
		x.empty("generic:Value", "id", stats.TimeDimension, "value", o.Period.String())
		x.end("generic:ObsKey")
	} else {
		x.empty("generic:ObsDimension", "value", o.Period.String())
	}
	v := formatValue(o.Value)
	if v == "" {
		v = missingValue
	}
	x.empty("generic:ObsValue", "value", v)
	if g.m.q.withAttributes() {
		if attrs := obsAttributes(o); len(attrs) > 0 {
			x.start("generic:Attributes")
			for _, a := range attrs {
				x.empty("generic:Value", "id", a[0], "value", a[1])
			}
			x.end("generic:Attributes")
		}
	}
	x.end("generic:Obs")
	return x.err
}

func (g *genericWriter) end() error {
	x := g.x
	if g.inSeries {
		x.end("generic:Series")
	}
	x.end("message:DataSet")
	x.end(g.root())
	return x.flush()
}
