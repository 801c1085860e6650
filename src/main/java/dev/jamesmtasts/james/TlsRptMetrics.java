package dev.jamesmtasts.james;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

import javax.inject.Inject;
import javax.inject.Singleton;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;

/**
 * The TLS-RPT counters of this node as gauges in James's Dropwizard registry (so JMX and WebAdmin's
 * {@code /metrics} show them next to the cache's {@code mtasts.*}), read from the running
 * {@link TlsRptReporting} at each look (0 while {@code tlsrpt.enabled=false}):
 * {@value #RECORDED}, {@value #DROPPED} (session results, {@code ResultRecorder}), {@value #SENT},
 * {@value #FAILED}, {@value #GAVE_UP} (reports, {@code ReportScheduler}).
 */
@Singleton
public class TlsRptMetrics {
    public static final String RECORDED = "mtasts.tlsrpt.results.recorded";
    public static final String DROPPED = "mtasts.tlsrpt.results.dropped";
    public static final String SENT = "mtasts.tlsrpt.reports.sent";
    public static final String FAILED = "mtasts.tlsrpt.reports.failed";
    public static final String GAVE_UP = "mtasts.tlsrpt.reports.gaveUp";

    private static final Map<String, ToLongFunction<TlsRptReporting>> READINGS = readings();

    private static Map<String, ToLongFunction<TlsRptReporting>> readings() {
        Map<String, ToLongFunction<TlsRptReporting>> m = new LinkedHashMap<>();
        m.put(RECORDED, r -> r.recorder().recorded());
        m.put(DROPPED, r -> r.recorder().dropped());
        m.put(SENT, r -> r.scheduler().sent());
        m.put(FAILED, r -> r.scheduler().failedAttempts());
        m.put(GAVE_UP, r -> r.scheduler().givenUp());
        return m;
    }

    @Inject
    public TlsRptMetrics(MtaStsBackend backend, Injector injector) {
        Binding<MetricRegistry> b = injector.getExistingBinding(Key.get(MetricRegistry.class));
        if (b != null) {
            register(b.getProvider().get(), backend);
        }
    }

    /** Registers the gauges, replacing those of an earlier start in the same registry (a restart in one JVM). */
    static void register(MetricRegistry registry, MtaStsBackend backend) {
        READINGS.forEach((name, reading) -> {
            registry.remove(name);
            registry.register(name, (Gauge<Long>) () -> backend.tlsRpt().map(reading::applyAsLong).orElse(0L));
        });
    }

    /** Counter name to value, in the order above. */
    static Map<String, Long> snapshot(TlsRptReporting r) {
        Map<String, Long> m = new LinkedHashMap<>();
        READINGS.forEach((name, reading) -> m.put(name, reading.applyAsLong(r)));
        return m;
    }
}
