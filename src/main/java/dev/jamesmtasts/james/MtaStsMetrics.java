package dev.jamesmtasts.james;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;

import dev.jamesmtasts.james.DeliveryAttemptReport.DaneVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;

/**
 * Delivery counters by MTA-STS verdict, created through James's {@link MetricFactory} so that they
 * appear with James's own metrics on JMX and on WebAdmin's {@code /metrics}: one counter per
 * verdict, named {@value #PREFIX} + the verdict label, e.g.
 * {@code mtaSts.delivery.enforced-delivered}, {@code mtaSts.delivery.testing-would-fail}; and one per DANE
 * verdict, {@value #DANE_PREFIX} + its label, e.g. {@code mtaSts.dane.authenticated}.
 */
@Singleton
public class MtaStsMetrics {
    public static final String PREFIX = "mtaSts.delivery.";
    /** Prefix of the DANE counters, one per {@link DaneVerdict}, e.g. {@code mtaSts.dane.authenticated}. */
    public static final String DANE_PREFIX = "mtaSts.dane.";

    private final Map<Verdict, Metric> byVerdict = new EnumMap<>(Verdict.class);
    private final Map<DaneVerdict, Metric> byDaneVerdict = new EnumMap<>(DaneVerdict.class);

    @Inject
    public MtaStsMetrics(MetricFactory metricFactory) {
        for (Verdict v : Verdict.values()) {
            byVerdict.put(v, metricFactory.generate(PREFIX + v.label()));
        }
        for (DaneVerdict v : DaneVerdict.values()) {
            byDaneVerdict.put(v, metricFactory.generate(DANE_PREFIX + v.label()));
        }
    }

    void record(DaneVerdict verdict) {
        byDaneVerdict.get(verdict).increment();
    }

    public long count(DaneVerdict verdict) {
        return byDaneVerdict.get(verdict).getCount();
    }

    void record(Verdict verdict) {
        byVerdict.get(verdict).increment();
    }

    /** Counter name to value, in verdict order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        byVerdict.forEach((v, metric) -> m.put(PREFIX + v.label(), metric.getCount()));
        byDaneVerdict.forEach((v, metric) -> m.put(DANE_PREFIX + v.label(), metric.getCount()));
        return m;
    }

    public long count(Verdict verdict) {
        return byVerdict.get(verdict).getCount();
    }
}
