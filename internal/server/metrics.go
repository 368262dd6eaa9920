package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// MetricsPath is where the server answers Prometheus scrapes.
const MetricsPath = "/metrics"

// DefaultMetricsTaskLists is how many task lists the metrics name one by
// one before they keep to per-domain sums (Config.MetricsTaskLists).
const DefaultMetricsTaskLists = 100

// metrics is the server's Prometheus registry: request counts and latency
// from the wire handler (wire.Observer), deadline lateness and commit waits
// from the engine (engine.Observer), group commits from the store
// (store.Observer), and gauges read from engine.Stats at each scrape.
//
// The request path is every call's, heartbeats included, so it allocates
// nothing: each operation's counter and histogram are resolved once, here,
// and looked up by name in a map that is never written after New. Only a
// fault resolves its labelled counter per call.
type metrics struct {
	reg      *prometheus.Registry
	ops      map[string]*opMetrics // by operation; read-only after newMetrics
	unknown  *opMetrics            // a target that names no operation
	requests *prometheus.CounterVec
	denials  *prometheus.CounterVec
	timers   map[string]prometheus.Observer // lateness by deadline kind; read-only
	durable  prometheus.Histogram
	batches  prometheus.Histogram // changes per group commit
	batchDur prometheus.Histogram
	flushDur prometheus.Histogram
	stats    *statsCollector
}

type opMetrics struct {
	name    string
	ok      prometheus.Counter
	latency prometheus.Observer
	beat    prometheus.Counter // heartbeats only: counts the recorded ones
}

// latencyBuckets span a heartbeat's commit (a millisecond or two) to a long
// poll's minute.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// newMetrics builds the registry. The engine is built after it (it takes
// m as its Observer): set m.stats.eng before the first scrape.
func newMetrics(taskLists int) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg:   reg,
		stats: &statsCollector{taskLists: taskLists},
		ops:   map[string]*opMetrics{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openswf_requests_total",
			Help: "API requests answered, by operation and outcome (ok, or the fault's __type name).",
		}, []string{"op", "outcome"}),
		denials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openswf_access_denials_total",
			Help: "API requests refused by the caller's IAM policies (OperationNotPermittedFault, AccessDeniedException), by operation.",
		}, []string{"op"}),
		timers: map[string]prometheus.Observer{},
		durable: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "openswf_store_commit_wait_seconds",
			Help:    "How long an operation or a fired deadline waited for its change to be durable (the store's group commit).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
	}
	m.batches = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "openswf_store_batch_changes",
		Help:    "Changes per group commit of the store (one transaction and one flush each).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
	})
	m.batchDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "openswf_store_batch_seconds",
		Help:    "Time to write, commit and flush one group commit.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	m.flushDur = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "openswf_store_flush_seconds",
		Help:    "Time of the flush that makes a group commit durable (SQLite's WAL fdatasync; PostgreSQL flushes within its commit and reports none).",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "openswf_request_duration_seconds",
		Help:    "Time to answer an API request, by operation (long polls included: they wait up to a minute).",
		Buckets: latencyBuckets,
	}, []string{"op"})
	beats := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "openswf_activity_heartbeats_total",
		Help: "Activity task heartbeats recorded (RecordActivityTaskHeartbeat answered without a fault).",
	})
	lateness := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "openswf_timer_lateness_seconds",
		Help:    "How late deadlines (timeouts, timers) were handled after they were due, by kind.",
		Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 30, 60, 300},
	}, []string{"kind"})
	for name := range shape.Operations {
		om := &opMetrics{name: name, ok: m.requests.WithLabelValues(name, "ok"), latency: latency.WithLabelValues(name)}
		if name == "RecordActivityTaskHeartbeat" {
			om.beat = beats
		}
		m.ops[name] = om
	}
	m.unknown = &opMetrics{name: "unknown", ok: m.requests.WithLabelValues("unknown", "ok"), latency: latency.WithLabelValues("unknown")}
	for _, k := range engine.TimerKinds {
		m.timers[k] = lateness.WithLabelValues(k)
	}
	reg.MustRegister(m.requests, m.denials, latency, beats, lateness, m.durable, m.batches, m.batchDur, m.flushDur,
		m.stats,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveRequest counts one answered request (wire.Observer).
func (m *metrics) ObserveRequest(op, fault string, took time.Duration) {
	om := m.ops[op]
	if om == nil {
		om = m.unknown
	}
	om.latency.Observe(took.Seconds())
	if fault == "" {
		om.ok.Inc()
		if om.beat != nil {
			om.beat.Inc()
		}
		return
	}
	m.requests.WithLabelValues(om.name, fault).Inc()
	if fault == swf.OperationNotPermittedFault || fault == "AccessDeniedException" {
		m.denials.WithLabelValues(om.name).Inc()
	}
}

// TimerFired records a deadline's lateness (engine.Observer).
func (m *metrics) TimerFired(kind string, late time.Duration) {
	if o := m.timers[kind]; o != nil {
		o.Observe(late.Seconds())
	}
}

// BatchCommitted records a group commit (store.Observer).
func (m *metrics) BatchCommitted(n int, took time.Duration) {
	m.batches.Observe(float64(n))
	m.batchDur.Observe(took.Seconds())
}

// Flushed records the flush of a group commit (store.Observer).
func (m *metrics) Flushed(took time.Duration) { m.flushDur.Observe(took.Seconds()) }

// ChangeDurable records a wait for the group commit (engine.Observer).
func (m *metrics) ChangeDurable(wait time.Duration) { m.durable.Observe(wait.Seconds()) }

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// statsCollector turns engine.Stats into gauges at each scrape, so the
// engine keeps no gauge up to date on its own hot paths.
type statsCollector struct {
	eng       *engine.Engine
	taskLists int // name task lists one by one up to this many
}

var (
	descOpenExecutions = prometheus.NewDesc("openswf_open_executions",
		"Open workflow executions, by domain.", []string{"region", "domain"}, nil)
	descOpenActivities = prometheus.NewDesc("openswf_open_activity_tasks",
		"Open activity tasks, by domain and state: scheduled (waiting for a worker) or started.", []string{"region", "domain", "state"}, nil)
	descDomainBacklog = prometheus.NewDesc("openswf_domain_task_backlog",
		"Tasks scheduled and waiting for a poller, summed over a domain's task lists, by kind (activity or decision).", []string{"region", "domain", "kind"}, nil)
	descDomainPollers = prometheus.NewDesc("openswf_domain_pollers",
		"Long polls waiting for a task, summed over a domain's task lists, by kind.", []string{"region", "domain", "kind"}, nil)
	descListBacklog = prometheus.NewDesc("openswf_task_list_backlog",
		"Tasks waiting on one task list (only while the server has at most --metrics-task-lists busy task lists).", []string{"region", "domain", "kind", "task_list"}, nil)
	descListPollers = prometheus.NewDesc("openswf_task_list_pollers",
		"Long polls waiting on one task list (same bound as openswf_task_list_backlog).", []string{"region", "domain", "kind", "task_list"}, nil)
	descTimers = prometheus.NewDesc("openswf_timer_queue_size",
		"Deadlines armed in the timer queue (timeouts and timers; stale ones until they are dropped).", nil, nil)
	descShards = prometheus.NewDesc("openswf_shards_owned",
		"Shards this node owns (only on a node of a cluster).", nil, nil)
	descHistoryCache = prometheus.NewDesc("openswf_history_cache_bytes",
		"Bytes of open executions' histories held in memory for decision polls (at most --history-cache).", nil, nil)
)

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpenExecutions, descOpenActivities, descDomainBacklog, descDomainPollers, descListBacklog, descListPollers, descTimers, descShards, descHistoryCache} {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.eng.Stats()
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	for _, d := range s.Domains {
		gauge(descOpenExecutions, d.OpenExecutions, d.Region, d.Domain)
		gauge(descOpenActivities, d.ScheduledActivities, d.Region, d.Domain, "scheduled")
		gauge(descOpenActivities, d.StartedActivities, d.Region, d.Domain, "started")
	}
	type key struct{ region, domain, kind string }
	type sum struct{ backlog, pollers int }
	sums := map[key]*sum{}
	var order []key
	for _, l := range s.TaskLists {
		k := key{l.Region, l.Domain, l.Kind}
		if sums[k] == nil {
			sums[k] = &sum{}
			order = append(order, k)
		}
		sums[k].backlog += l.Backlog
		sums[k].pollers += l.Pollers
		if len(s.TaskLists) <= c.taskLists {
			gauge(descListBacklog, l.Backlog, l.Region, l.Domain, l.Kind, l.Name)
			gauge(descListPollers, l.Pollers, l.Region, l.Domain, l.Kind, l.Name)
		}
	}
	for _, k := range order {
		gauge(descDomainBacklog, sums[k].backlog, k.region, k.domain, k.kind)
		gauge(descDomainPollers, sums[k].pollers, k.region, k.domain, k.kind)
	}
	gauge(descTimers, s.Timers)
	gauge(descHistoryCache, int(s.HistoryCacheBytes))
	if s.Clustered {
		gauge(descShards, s.Shards)
	}
}
