package server

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cpcj/cpcj/internal/store"
)

// Metrics are the server's Prometheus metrics, in a registry of its own.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	jobs     *prometheus.CounterVec
	jobTime  *prometheus.HistogramVec
}

// NewMetrics registers the metrics, including the database pools and the
// job queue, which are read when Prometheus scrapes.
func NewMetrics(db *store.DB) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cpcj_http_requests_total", Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cpcj_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cpcj_jobs_total", Help: "Background jobs run, by kind and outcome.",
	}, []string{"kind", "outcome"})
	m.jobTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cpcj_job_duration_seconds", Help: "Background job run time by kind.",
	}, []string{"kind"})
	m.reg.MustRegister(m.requests, m.latency, m.jobs, m.jobTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.reg.MustRegister(newDBCollector(db))
	}
	return m
}

func (m *Metrics) observe(route, method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// methodLabel keeps the method label to the methods HTTP defines: the
// client chooses the method, and every new label value is a new series
// kept until the process ends.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// ObserveJob counts a background job's run.
func (m *Metrics) ObserveJob(kind string, err error, took time.Duration) {
	if m == nil {
		return
	}
	outcome := "done"
	if err != nil {
		outcome = "failed"
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobTime.WithLabelValues(kind).Observe(took.Seconds())
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// dbCollector reads the database pools and the job table when Prometheus
// scrapes, so nothing is polled in between.
type dbCollector struct {
	db                       *store.DB
	open, inUse, waits, jobs *prometheus.Desc
}

func newDBCollector(db *store.DB) *dbCollector {
	pool := []string{"pool"}
	return &dbCollector{
		db:    db,
		open:  prometheus.NewDesc("cpcj_db_open_connections", "Open database connections by pool.", pool, nil),
		inUse: prometheus.NewDesc("cpcj_db_in_use_connections", "Database connections in use by pool.", pool, nil),
		waits: prometheus.NewDesc("cpcj_db_wait_count_total", "Times a request waited for a database connection, by pool.", pool, nil),
		jobs:  prometheus.NewDesc("cpcj_jobs_queued", "Background jobs in the job table by status.", []string{"status"}, nil),
	}
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.inUse
	ch <- c.waits
	ch <- c.jobs
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	read, write := c.db.Stats()
	for _, p := range []struct {
		name string
		s    sql.DBStats
	}{{"read", read}, {"write", write}} {
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(p.s.OpenConnections), p.name)
		ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(p.s.InUse), p.name)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(p.s.WaitCount), p.name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.db.CountJobs(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.jobs, err)
		return
	}
	for status, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), status)
	}
}
