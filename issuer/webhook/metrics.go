package webhook

import "github.com/prometheus/client_golang/prometheus"

// metrics of the dispatcher. The queue gauges are of every replica's
// queue (one table); each replica reports them.
type metrics struct {
	deliveries *prometheus.CounterVec
	queueDepth prometheus.Gauge
	oldestAge  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licensed_webhook_deliveries_total",
			Help: "Webhook attempts by outcome: delivered (2xx), retry (failed, will be retried), failed (failed, no attempt left).",
		}, []string{"outcome"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "licensed_webhook_queue_depth", Help: "Pending webhook deliveries (due or waiting for a retry), of every brand.",
		}),
		oldestAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "licensed_webhook_oldest_pending_seconds", Help: "Age of the oldest pending webhook delivery; 0 when none is pending.",
		}),
	}
	for _, o := range []string{"delivered", "retry", "failed"} {
		m.deliveries.WithLabelValues(o)
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.queueDepth, m.oldestAge)
	}
	return m
}
