package dev.jamesmtasts.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.util.Collections;
import java.util.Map;

import org.apache.james.metrics.dropwizard.DropWizardMetricFactory;
import org.junit.jupiter.api.Test;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

import dev.jamesmtasts.james.DaneService;
import dev.jamesmtasts.james.DeliveryAttemptReport.DaneVerdict;
import dev.jamesmtasts.james.MtaStsMetrics;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.common.TextFormat;

/**
 * How {@code bin/demo --bench --dane} reads DANE's state from WebAdmin /metrics, against the text James's
 * own metric factory and the Prometheus exporter its MetricsRoutes uses produce, and how a DANE run that
 * was not DANE's is marked.
 */
class DemoBenchTest {

    /** /metrics as James 3.8.1's WebAdmin writes it: Dropwizard registry, DropwizardExports, text format 0.0.4. */
    private static String prometheusText(MetricRegistry registry) throws IOException {
        StringWriter w = new StringWriter();
        TextFormat.write004(w, Collections.enumeration(new DropwizardExports(registry).collect()));
        return w.toString();
    }

    @Test
    void readsTheDaneCountersAndTheActiveGaugeFromJamesMetrics() throws IOException {
        MetricRegistry registry = new MetricRegistry();
        DropWizardMetricFactory factory = new DropWizardMetricFactory(registry);
        MtaStsMetrics metrics = new MtaStsMetrics(factory);
        factory.generate(MtaStsMetrics.DANE_PREFIX + DaneVerdict.AUTHENTICATED.label()).add(200);
        factory.generate(MtaStsMetrics.DANE_PREFIX + DaneVerdict.NOT_APPLICABLE.label()).add(3);
        registry.register(DaneService.ACTIVE_GAUGE, (Gauge<Integer>) () -> 1);
        assertThat(metrics.count(DaneVerdict.AUTHENTICATED)).isEqualTo(200);

        String text = prometheusText(registry);
        Map<DaneVerdict, Long> counts = DemoBench.daneCounters(text);

        assertThat(counts).hasSize(DaneVerdict.values().length)
                .containsEntry(DaneVerdict.AUTHENTICATED, 200L)
                .containsEntry(DaneVerdict.NOT_APPLICABLE, 3L)
                .containsEntry(DaneVerdict.OFF, 0L)
                .containsEntry(DaneVerdict.DEFERRED, 0L);
        assertThat(DemoBench.metric(text, DemoBench.prometheusName(DaneService.ACTIVE_GAUGE))).isEqualTo(1.0);
    }

    @Test
    void absentMetricsAreNotZeros() {
        assertThat(DemoBench.daneCounters("# nothing here\nmtaSts_policyCheck_count 5.0\n")).isEmpty();
        assertThat(DemoBench.metric(null, "mtaSts_dane_active")).isNaN();
        assertThat(DemoBench.metric("mtaSts_dane_activeX 1.0\n", "mtaSts_dane_active")).isNaN();
    }

    /** A measured run: {@code delivered} mails, gauge mtaSts.dane.active {@code active}, all attempts of {@code verdict}. */
    private static DemoBench.Run run(DemoBench.Config config, int round, int delivered, int active, DaneVerdict verdict) {
        DemoBench.Run run = new DemoBench.Run(config, round);
        run.delivered = delivered;
        run.daneActive = active;
        run.daneVerdicts.put(verdict, (long) delivered);
        return run;
    }

    @Test
    void aDaneRunWithDaneActiveCountsItsAuthenticatedDeliveries() {
        DemoBench.Run run = run(DemoBench.Config.DANE, 1, 3000, 1, DaneVerdict.AUTHENTICATED);

        assertThat(run.notDane()).isFalse();
        assertThat(DemoBench.daneLine(run))
                .startsWith("mta-sts+dane round 1: DANE active, 3000 of 3000 deliveries DANE-authenticated")
                .doesNotContain("!!!");
    }

    @Test
    void aDaneRunWhoseSelfCheckFailedIsMarkedNotDane() {
        DemoBench.Run run = run(DemoBench.Config.DANE, 2, 3000, 0, DaneVerdict.OFF);

        assertThat(run.notDane()).isTrue();
        assertThat(DemoBench.daneLine(run)).startsWith("!!! mta-sts+dane round 2: DANE off")
                .contains("0 of 3000 deliveries DANE-authenticated").contains("NOT DANE");
    }

    @Test
    void theMailetWithoutDaneIsNeverMarked() {
        DemoBench.Run run = run(DemoBench.Config.MTA_STS, 1, 10, 0, DaneVerdict.OFF);

        assertThat(run.notDane()).isFalse();
        assertThat(DemoBench.daneLine(run)).isEqualTo(
                "mta-sts round 1: DANE off (gauge mtaSts.dane.active 0); attempts by DANE verdict: off 10");
    }
}
