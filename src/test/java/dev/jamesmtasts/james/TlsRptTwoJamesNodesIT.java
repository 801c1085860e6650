package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.jamesmtasts.reporting.SendOutcome;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * Two real James 3.8.1 servers in this JVM, each with the extension as shipped and
 * {@code tlsrpt.enabled=true}, on one keyspace of the shared Cassandra node: both deliver to the same
 * policy domain, both try to send its report at the same moment, and the https: rua receives ONE report
 * (RFC 8460 §4.1: one per policy domain and day from this submitter) whose counts are the sum of both
 * nodes' sessions.
 */
class TlsRptTwoJamesNodesIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String LOOPBACK = "127.0.0.1";

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static MtaStsTestbed bed;
    private static Path trustStore;
    private static TestSmtpReceiver senderMx;
    private static JamesHarness jamesA;
    private static JamesHarness jamesB;

    @BeforeAll
    static void start() throws Exception {
        bed = MtaStsTestbed.start();
        trustStore = bed.ca().writeTrustStore(Files.createTempFile("tlsrpt-two-james", ".p12"));
        senderMx = new TestSmtpReceiver("mx.sender.test", null);
        RecordingListener.REPORTS.clear();
        TlsRptReportingEndToEndTest.BACKENDS.clear();
        String properties = JamesHarness.testbedProperties(CASSANDRA.keyspace(), bed, trustStore)
                + "tlsrpt.enabled=true\n"
                + "tlsrpt.organizationName=James MTA-STS tests\n"
                + "tlsrpt.submitter=james.local\n"
                + "tlsrpt.sender=tlsrpt@james.local\n"
                + "tlsrpt.flushInterval=1h\n";
        String container = JamesHarness.mailetContainer("<startTLS>true</startTLS>"
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>");
        jamesA = new JamesHarness(container, properties, TlsRptReportingEndToEndTest.Module.class);
        jamesB = new JamesHarness(container, properties, TlsRptReportingEndToEndTest.Module.class);
        jamesA.mx("sender.test", "mx.sender.test:" + senderMx.port());
        jamesB.mx("sender.test", "mx.sender.test:" + senderMx.port());
    }

    @AfterAll
    static void stop() throws Exception {
        for (JamesHarness j : new JamesHarness[] {jamesA, jamesB}) {
            if (j != null) {
                j.close();
            }
        }
        if (senderMx != null) {
            senderMx.close();
        }
        if (bed != null) {
            bed.close();
        }
        if (trustStore != null) {
            Files.deleteIfExists(trustStore);
        }
    }

    private static void deliver(JamesHarness james, String domain, String mxHostPort, String subject) throws Exception {
        RecordingListener.REPORTS.clear();
        james.mx(domain, mxHostPort);
        james.send("alice@sender.test", subject, "bob@" + domain);
        RecordingListener.awaitDelivered(domain, WAIT);
    }

    @Test
    void twoNodesDeliveringToOneDomainSendOneReportWithTheSummedCounts() throws Exception {
        String domain = "two.test";
        bed.publish(domain, "t1", "version: STSv1\nmode: testing\nmx: mx.two.test\nmax_age: 86400\n");
        String ruaHost = "reports.two.test";
        bed.dns().a(ruaHost, LOOPBACK);
        bed.https().host(ruaHost, bed.ca().issue(ruaHost), TestHttpsServer.Response.ok("thanks"));
        String rua = "https://" + ruaHost + ":" + bed.https().port() + "/tlsrpt";
        bed.dns().txt("_smtp._tls." + domain, "v=TLSRPTv1; rua=" + rua);

        try (TestSmtpReceiver good = new TestSmtpReceiver("mx.two.test", bed.ca().issue("mx.two.test").serverContext());
             TestSmtpReceiver stripped = new TestSmtpReceiver("mx.two.test", null)) {
            deliver(jamesA, domain, "mx.two.test:" + good.port(), "a1");
            deliver(jamesA, domain, "mx.two.test:" + good.port(), "a2");
            deliver(jamesB, domain, "mx.two.test:" + good.port(), "b1");
            deliver(jamesB, domain, "mx.two.test:" + stripped.port(), "b2");
        }

        List<MtaStsBackend> backends = TlsRptReportingEndToEndTest.BACKENDS;
        assertThat(backends).hasSize(2);
        TlsRptReporting a = backends.get(0).tlsRpt().orElseThrow();
        TlsRptReporting b = backends.get(1).tlsRpt().orElseThrow();
        assertThat(a.recorder().runId()).isNotEqualTo(b.recorder().runId());
        a.recorder().flush();
        b.recorder().flush();

        LocalDate today = ReportId.day(Instant.now());
        CompletableFuture<List<SendOutcome>> fromA = CompletableFuture.supplyAsync(() -> a.scheduler().sendNow(today, domain, false));
        CompletableFuture<List<SendOutcome>> fromB = CompletableFuture.supplyAsync(() -> b.scheduler().sendNow(today, domain, false));
        List<SendOutcome> all = new ArrayList<>(fromA.get());
        all.addAll(fromB.get());

        // today has not ended: interim reports (docs/tls-rpt.md). Two send-nows that overlap send one (the
        // claim in tlsrpt_interims; InterimReportTest makes them overlap for sure); one that starts after the
        // other finished sends the next interim, under the next id: never one id twice
        assertThat(all).hasSize(2);
        List<SendOutcome> sent = new ArrayList<>();
        for (SendOutcome o : all) {
            assertThat(o.kind()).as(all.toString()).isIn(SendOutcome.Kind.SENT, SendOutcome.Kind.NOT_DUE);
            assertThat(o.interim()).isTrue();
            if (o.kind() == SendOutcome.Kind.SENT) {
                sent.add(o);
            }
        }
        assertThat(sent).as(all.toString()).isNotEmpty();
        assertThat(sent).extracting(SendOutcome::reportId).doesNotHaveDuplicates()
                .isSubsetOf(ReportId.of(today, domain, "james.local", 2), ReportId.of(today, domain, "james.local", 3));
        assertThat(bed.https().requests(ruaHost)).isEqualTo(sent.size());

        TlsReport report = ReportJson.readGzip(bed.https().lastRequestBody(ruaHost), ReportJson.DEFAULT_MAX_BYTES);
        // the last POST: the only interim, or the later of two
        assertThat(report.reportId()).isEqualTo(sent.size() == 1 ? sent.get(0).reportId()
                : ReportId.of(today, domain, "james.local", 3));
        assertThat(report.policies()).hasSize(1);
        TlsReport.PolicyResults p = report.policies().get(0);
        assertThat(p.policy().policyDomain()).isEqualTo(domain);
        assertThat(p.successfulSessions()).isEqualTo(3); // A: 2, B: 1
        assertThat(p.failedSessions()).isEqualTo(1); // B: STARTTLS stripped
        assertThat(p.failures()).hasSize(1);
        assertThat(p.failures().keySet().iterator().next().resultType()).isEqualTo(ResultType.STARTTLS_NOT_SUPPORTED);
        assertThat(p.failures().values()).containsExactly(1L);
    }
}
