// Package sockprom exports what sockhttp servers and their connections do
// as Prometheus metrics, on github.com/prometheus/client_golang: in a
// package of its own, so that servers without Prometheus do not build it.
//
//	metrics := sockprom.New(nil)
//	prometheus.MustRegister(metrics)
//	ws := sockhttp.NewServer(factory, &sockhttp.Options{Hooks: metrics.Hooks()})
//	http.Handle("/ws", ws)
//	http.Handle("/metrics", promhttp.Handler())
//
// The metrics, all prefixed with the namespace ("sockkit" by default):
//
//	upgrades_total{status}                  upgrade requests, by the status answered ("101" when upgraded; "failed" when the upgrade broke after it was accepted)
//	connections_open                        connections open now
//	connections_closed_total{reason,code}   connections ended, by sock.ReasonKind and close code
//	connection_duration_seconds             how long connections lived (histogram)
//	messages_received_total{opcode}         messages and control frames from peers, by opcode
//	received_bytes_total{opcode}            their payloads' bytes
//	messages_sent_total{opcode}             frames handed to the transport to write to peers, by opcode
//	sent_bytes_total{opcode}                their payloads' bytes
//	keepalive_rtt_seconds                   keepalive ping round trips (histogram)
//	infos_dropped_total                     infos refused by a full queue (sock.ErrInfoQueueFull)
//	handler_bugs_total{kind}                callbacks that panicked ("panic") or returned a Result sock refused ("bad_result")
//	write_timeouts_total                    connections ended by a write that timed out while they were open
//
// Every label has a bounded set of values: no connection IDs, paths or
// addresses. Close codes are the registered ones (1000 to 1015) one by one,
// and the application's as "3000-3999" and "4000-4999".
package sockprom

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sockkit/sockkit/sock"
	"github.com/sockkit/sockkit/sock/sockhttp"
)

// Options configures Metrics. A nil *Options means all defaults.
type Options struct {
	// Namespace prefixes every metric's name. Default "sockkit".
	Namespace string
	// ConstLabels are added to every metric, e.g. {"server": "chat"} for
	// a process with several servers, each with its Metrics.
	ConstLabels prometheus.Labels
}

// Metrics is a prometheus.Collector of what the servers whose hooks it
// gives ([Metrics.Hooks]) do. It is safe for concurrent use.
type Metrics struct {
	upgrades  *prometheus.CounterVec
	open      prometheus.Gauge
	closed    *prometheus.CounterVec
	lived     prometheus.Histogram
	rtt       prometheus.Histogram
	dropped   prometheus.Counter
	bugs      *prometheus.CounterVec
	timeouts  prometheus.Counter
	received  byOpcode
	sent      byOpcode
	panics    prometheus.Counter // bugs{kind="panic"}, resolved once
	badResult prometheus.Counter // bugs{kind="bad_result"}

	all []prometheus.Collector
}

// byOpcode holds a pair of counters (messages, bytes) per opcode, resolved
// once: the hooks of every message only add.
type byOpcode struct {
	messages, bytes *prometheus.CounterVec
	count, size     [16]prometheus.Counter
}

// opcodes are the values of the opcode label.
var opcodes = []sock.Opcode{sock.OpText, sock.OpBinary, sock.OpPing, sock.OpPong, sock.OpClose}

func (b *byOpcode) resolve() {
	for _, op := range opcodes {
		b.count[op] = b.messages.WithLabelValues(op.String())
		b.size[op] = b.bytes.WithLabelValues(op.String())
	}
}

func (b *byOpcode) add(op sock.Opcode, n int) {
	if int(op) < len(b.count) && b.count[op] != nil {
		b.count[op].Inc()
		b.size[op].Add(float64(n))
	}
}

// New returns Metrics; register them with a prometheus.Registerer.
func New(opts *Options) *Metrics {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = "sockkit"
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: o.Namespace, Name: name, Help: help, ConstLabels: o.ConstLabels}, labels)
	}
	m := &Metrics{
		upgrades: counter("upgrades_total", "WebSocket upgrade requests, by the HTTP status answered (101 when upgraded).", "status"),
		open: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: o.Namespace, Name: "connections_open",
			Help: "WebSocket connections open now.", ConstLabels: o.ConstLabels}),
		closed: counter("connections_closed_total", "WebSocket connections ended, by why (sock.ReasonKind) and close code.", "reason", "code"),
		lived: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: o.Namespace, Name: "connection_duration_seconds",
			Help: "How long WebSocket connections lived.", ConstLabels: o.ConstLabels,
			Buckets: []float64{1, 10, 60, 300, 1800, 3600, 4 * 3600, 24 * 3600}}),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: o.Namespace, Name: "keepalive_rtt_seconds",
			Help: "Round trips of keepalive pings.", ConstLabels: o.ConstLabels,
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}), // 1ms to 8s
		bugs:     counter("handler_bugs_total", "Handler callbacks that panicked or returned a Result sock refused.", "kind"),
		received: byOpcode{messages: counter("messages_received_total", "Messages and control frames received from peers.", "opcode"), bytes: counter("received_bytes_total", "Payload bytes received from peers.", "opcode")},
		sent:     byOpcode{messages: counter("messages_sent_total", "Frames handed to the transport to write to peers.", "opcode"), bytes: counter("sent_bytes_total", "Payload bytes handed to the transport to write to peers.", "opcode")},
	}
	m.dropped = counter("infos_dropped_total", "Infos refused because a connection's queue was full.").WithLabelValues()
	m.timeouts = counter("write_timeouts_total", "Connections ended by a write that timed out while they were open.").WithLabelValues()
	m.panics, m.badResult = m.bugs.WithLabelValues("panic"), m.bugs.WithLabelValues("bad_result")
	m.received.resolve()
	m.sent.resolve()
	m.all = []prometheus.Collector{m.upgrades, m.open, m.closed, m.lived, m.rtt, m.bugs,
		m.received.messages, m.received.bytes, m.sent.messages, m.sent.bytes, m.dropped, m.timeouts}
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.all {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.all {
		c.Collect(ch)
	}
}

// Hooks returns the hooks that feed the metrics: give them to
// [sockhttp.Options].Hooks. A connection whose own [sock.Options] have
// hooks is not counted, unless those call the ones of Hooks().Conn too.
func (m *Metrics) Hooks() *sockhttp.Hooks {
	return &sockhttp.Hooks{
		Upgraded: func(*http.Request) { m.upgrades.WithLabelValues("101").Inc() },
		Refused: func(_ *http.Request, status int, _ error) {
			label := "failed"
			if status != 0 {
				label = strconv.Itoa(status)
			}
			m.upgrades.WithLabelValues(label).Inc()
		},
		Conn: &sock.Hooks{
			Opened:      func(*sock.Conn) { m.open.Inc() },
			Received:    func(_ *sock.Conn, op sock.Opcode, n int) { m.received.add(op, n) },
			Sent:        func(_ *sock.Conn, op sock.Opcode, n int) { m.sent.add(op, n) },
			RoundTrip:   func(_ *sock.Conn, rtt time.Duration) { m.rtt.Observe(rtt.Seconds()) },
			InfoDropped: func(*sock.Conn) { m.dropped.Inc() },
			Bug: func(_ *sock.Conn, err error) {
				if errors.Is(err, sock.ErrBadResult) {
					m.badResult.Inc()
				} else {
					m.panics.Inc()
				}
			},
			Terminated: func(_ *sock.Conn, r sock.Reason, lived time.Duration) {
				m.open.Dec()
				m.closed.WithLabelValues(r.Kind.String(), codeLabel(r.Code)).Inc()
				m.lived.Observe(lived.Seconds())
				if errors.Is(r.Err, sock.ErrWriteTimeout) {
					m.timeouts.Inc()
				}
			},
		},
	}
}

// codeLabel is the code label of a close code: the registered codes one by
// one, the application's by range.
func codeLabel(c sock.CloseCode) string {
	switch {
	case c >= 1000 && c <= 1015:
		return strconv.Itoa(int(c))
	case c >= 3000 && c <= 3999:
		return "3000-3999"
	case c >= 4000 && c <= 4999:
		return "4000-4999"
	}
	return "other"
}
