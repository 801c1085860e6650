package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.inject.Inject;
import javax.mail.BodyPart;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.google.inject.AbstractModule;

import dev.jamesmtasts.reporting.SendOutcome;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ReportId;
import dev.jamesmtasts.tlsrpt.ReportJson;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.TlsReport;

/**
 * TLS-RPT end to end in a real James 3.8.1 with the extension as shipped and {@code tlsrpt.enabled=true}:
 * deliveries are recorded by the backend's {@link dev.jamesmtasts.reporting.ResultRecorder} into the real
 * Cassandra store, the {@link dev.jamesmtasts.reporting.ReportScheduler} looks up the domain's
 * {@code _smtp._tls} record over real DNS and sends the report: to an {@code https:} rua (the test HTTPS
 * server, the POST body parsed back) and to a {@code mailto:} rua (through James's own spool and the
 * project's delivery mailet to an SMTP receiver, the message parsed back). Every field is checked against
 * RFC 8460 §4.4 and §5.3.
 */
class TlsRptReportingEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String LOOPBACK = "127.0.0.1";

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    /** Every backend James built (the extension's own, as shipped). */
    static final List<MtaStsBackend> BACKENDS = new CopyOnWriteArrayList<>();

    /** Captures the backend the extension injector built. */
    public static final class Capture {
        @Inject
        public Capture(MtaStsBackend backend) {
            BACKENDS.add(backend);
        }
    }

    /** The extension as shipped, the recording listener, and the capture of its backend. */
    public static final class Module extends AbstractModule {
        @Override
        protected void configure() {
            install(new RealBackendTestModule());
            bind(Capture.class).asEagerSingleton();
        }
    }

    private static MtaStsTestbed bed;
    private static Path trustStore;
    private static TestSmtpReceiver senderMx;
    private static JamesHarness james;

    @BeforeAll
    static void start() throws Exception {
        bed = MtaStsTestbed.start();
        trustStore = bed.ca().writeTrustStore(Files.createTempFile("tlsrpt-report-e2e", ".p12"));
        senderMx = new TestSmtpReceiver("mx.sender.test", null);
        RecordingListener.REPORTS.clear();
        BACKENDS.clear();
        james = new JamesHarness(JamesHarness.mailetContainer("<startTLS>true</startTLS>"
                + "<delayTime>5*2000</delayTime><maxRetries>5</maxRetries>"
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>"),
                properties(CASSANDRA.keyspace()), Module.class);
        james.mx("sender.test", "mx.sender.test:" + senderMx.port());
    }

    static String properties(String keyspace) {
        return JamesHarness.testbedProperties(keyspace, bed, trustStore)
                + "tlsrpt.enabled=true\n"
                + "tlsrpt.organizationName=James MTA-STS tests\n"
                + "tlsrpt.contactInfo=tlsrpt@james.local\n"
                + "tlsrpt.submitter=james.local\n"
                + "tlsrpt.sender=tlsrpt@james.local\n"
                + "tlsrpt.flushInterval=1h\n"; // the tests flush
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
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

    private static TlsRptReporting tlsRpt() {
        assertThat(BACKENDS).hasSize(1);
        return BACKENDS.get(0).tlsRpt().orElseThrow();
    }

    private static TestSmtpReceiver tls(String name) {
        return new TestSmtpReceiver(name, bed.ca().issue(name).serverContext());
    }

    /** Sends one mail to {@code domain} via {@code mxHostPort} and waits for its delivery. */
    private static void deliver(String domain, String mxHostPort, String subject) throws Exception {
        RecordingListener.REPORTS.clear();
        james.mx(domain, mxHostPort);
        james.send("alice@sender.test", subject, "bob@" + domain);
        RecordingListener.awaitDelivered(domain, WAIT);
    }

    @Test
    void goodStrippedAndImpostorSessionsReachTheHttpsRuaAsOneRfc8460Report() throws Exception {
        String domain = "rpt.test";
        String policy = "version: STSv1\nmode: testing\nmx: mx.rpt.test\nmax_age: 86400\n";
        bed.publish(domain, "r1", policy);
        String ruaHost = "reports.rpt.test";
        bed.dns().a(ruaHost, LOOPBACK);
        bed.https().host(ruaHost, bed.ca().issue(ruaHost), TestHttpsServer.Response.ok("thanks"));
        String rua = "https://" + ruaHost + ":" + bed.https().port() + "/tlsrpt";
        bed.dns().txt("_smtp._tls." + domain, "v=TLSRPTv1; rua=" + rua);

        try (TestSmtpReceiver good = tls("mx.rpt.test");
             TestSmtpReceiver stripped = new TestSmtpReceiver("mx.rpt.test", null);
             TestSmtpReceiver impostor = tls("mx.impostor.test")) {
            deliver(domain, "mx.rpt.test:" + good.port(), "good");
            deliver(domain, "mx.rpt.test:" + stripped.port(), "stripped"); // testing: delivered in the clear
            deliver(domain, "mx.impostor.test:" + impostor.port(), "impostor"); // testing: delivered
            assertThat(good.count() + stripped.count() + impostor.count()).isEqualTo(3);
        }

        TlsRptReporting t = tlsRpt();
        t.recorder().flush();
        LocalDate today = ReportId.day(Instant.now());
        List<SendOutcome> outcomes = t.scheduler().sendNow(today, domain, false);

        assertThat(outcomes).hasSize(1);
        assertThat(outcomes.get(0).kind()).as(outcomes.toString()).isEqualTo(SendOutcome.Kind.SENT);
        assertThat(outcomes.get(0).sentTo()).containsExactly(rua);
        assertThat(bed.https().requests(ruaHost)).isEqualTo(1);
        String head = bed.https().lastRequest(ruaHost);
        assertThat(head).startsWith("POST /tlsrpt HTTP/1.1").containsIgnoringCase("Content-Type: application/tlsrpt+gzip");

        TlsReport report = ReportJson.readGzip(bed.https().lastRequestBody(ruaHost), ReportJson.DEFAULT_MAX_BYTES);
        // RFC 8460 §4.4
        assertThat(report.organizationName()).isEqualTo("James MTA-STS tests");
        assertThat(report.contactInfo()).isEqualTo("tlsrpt@james.local");
        // today has not ended: an interim report, the day so far (RFC 8460 §4.4 date-range up to the send)
        assertThat(outcomes.get(0).interim()).isTrue();
        assertThat(report.reportId()).isEqualTo(ReportId.of(today, domain, "james.local", 2));
        assertThat(report.start()).isEqualTo(ReportId.start(today));
        assertThat(report.end()).isEqualTo(outcomes.get(0).interimEnd()).isBefore(ReportId.end(today));
        assertThat(report.policies()).hasSize(1);
        TlsReport.PolicyResults p = report.policies().get(0);
        assertThat(p.policy().type()).isEqualTo(PolicyType.STS);
        assertThat(p.policy().policyDomain()).isEqualTo(domain);
        assertThat(p.policy().policyString()).containsExactly("version: STSv1", "mode: testing", "mx: mx.rpt.test",
                "max_age: 86400");
        assertThat(p.policy().mxHosts()).containsExactly("mx.rpt.test");
        assertThat(p.successfulSessions()).isEqualTo(1);
        assertThat(p.failedSessions()).isEqualTo(2);
        Map<FailureDetail, Long> failures = p.failures();
        assertThat(failures).hasSize(2);
        FailureDetail starttls = only(failures, ResultType.STARTTLS_NOT_SUPPORTED);
        assertThat(starttls.receivingMxHostname()).isEqualTo("mx.rpt.test");
        assertThat(starttls.receivingIp()).isEqualTo(LOOPBACK);
        assertThat(failures.get(starttls)).isEqualTo(1L);
        FailureDetail mismatch = only(failures, ResultType.VALIDATION_FAILURE);
        assertThat(mismatch.receivingMxHostname()).isEqualTo("mx.impostor.test");
        assertThat(mismatch.failureReasonCode()).isEqualTo("mtasts-policy-mx-mismatch");
        assertThat(failures.get(mismatch)).isEqualTo(1L);

        // the day's own report is still to come, after midnight (InterimReportTest follows it there)
        assertThat(t.store().sendState(today, domain)).isEmpty();
    }

    @Test
    void aMailtoRuaGetsAMultipartReportThroughJamesWhoseOwnDeliveryIsNeverCounted() throws Exception {
        String domain = "mailrpt.test";
        bed.publish(domain, "m1", "version: STSv1\nmode: enforce\nmx: mx.mailrpt.test\nmax_age: 86400\n");
        bed.dns().txt("_smtp._tls." + domain, "v=TLSRPTv1; rua=mailto:tls-reports@reports.mailrpt.test");
        TlsRptReporting t = tlsRpt();
        LocalDate today = ReportId.day(Instant.now());
        try (TestSmtpReceiver mx = tls("mx.mailrpt.test");
             TestSmtpReceiver reports = tls("mx.reports.mailrpt.test")) {
            deliver(domain, "mx.mailrpt.test:" + mx.port(), "to-mailrpt");
            james.mx("reports.mailrpt.test", "mx.reports.mailrpt.test:" + reports.port());
            t.recorder().flush();
            long recordedBefore = t.recorder().recorded();

            List<SendOutcome> outcomes = t.scheduler().sendNow(today, domain, false);
            assertThat(outcomes.get(0).kind()).as(outcomes.toString()).isEqualTo(SendOutcome.Kind.SENT);
            assertThat(outcomes.get(0).sentTo()).containsExactly("mailto:tls-reports@reports.mailrpt.test");

            await().atMost(WAIT).until(() -> reports.count() == 1);
            RecordingListener.awaitDelivered("reports.mailrpt.test", WAIT);
            TestSmtpReceiver.Received r = reports.received().get(0);
            assertThat(r.from).isEqualTo("tlsrpt@james.local");
            assertThat(r.recipients).containsExactly("tls-reports@reports.mailrpt.test");
            MimeMessage m = new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(r.data.getBytes(StandardCharsets.ISO_8859_1)));
            // RFC 8460 §5.3
            assertThat(m.getContentType()).startsWith("multipart/report").contains("report-type=\"tlsrpt\"");
            assertThat(m.getHeader("TLS-Report-Domain", null)).isEqualTo(domain);
            assertThat(m.getHeader("TLS-Report-Submitter", null)).isEqualTo("james.local");
            assertThat(m.getHeader("TLS-Required", null)).isEqualTo("No");
            String reportId = ReportId.of(today, domain, "james.local", 2); // an interim: today has not ended
            assertThat(m.getSubject()).isEqualTo("Report Domain: " + domain + " Submitter: james.local Report-ID: <"
                    + reportId + ">");
            MimeMultipart parts = (MimeMultipart) m.getContent();
            assertThat(parts.getCount()).isEqualTo(2);
            BodyPart attachment = parts.getBodyPart(1);
            assertThat(attachment.getContentType()).startsWith("application/tlsrpt+gzip");
            assertThat(attachment.getFileName()).isEqualTo("james.local!" + domain + "!"
                    + ReportId.start(today).getEpochSecond() + "!" + outcomes.get(0).interimEnd().getEpochSecond() + ".json.gz");
            TlsReport report = ReportJson.readGzip(bytes(attachment.getInputStream()), ReportJson.DEFAULT_MAX_BYTES);
            assertThat(report.reportId()).isEqualTo(reportId);
            assertThat(report.organizationName()).isEqualTo("James MTA-STS tests");
            assertThat(report.policies()).hasSize(1);
            assertThat(report.policies().get(0).policy().policyDomain()).isEqualTo(domain);
            assertThat(report.policies().get(0).successfulSessions()).isEqualTo(1);
            assertThat(report.policies().get(0).failedSessions()).isZero();

            // the report mail went out through MtaStsRemoteDelivery, flagged as a report, and was not recorded
            assertThat(RecordingListener.forDomain("reports.mailrpt.test")).isNotEmpty()
                    .allMatch(DeliveryAttemptReport::tlsReport);
            t.recorder().flush();
            assertThat(t.recorder().recorded()).isEqualTo(recordedBefore);
            assertThat(t.store().domainsWithResults(today)).doesNotContain("reports.mailrpt.test");
            assertThat(t.store().results(today, domain).get(0).successfulSessions()).isEqualTo(1);
        }
    }

    /**
     * RFC 8460 §3, RFC 8689 §4.2.2: a report about a domain whose only MX fails its enforce policy (STARTTLS
     * stripped) is delivered to that MX, without MTA-STS, verdict tls-not-required, and not counted; an ordinary
     * mail with forged report headers to the same domain is still held (only our attribute marks a report).
     */
    @Test
    void aReportMailGetsThroughTheTlsFailureItReportsAForgedOneIsHeld() throws Exception {
        String domain = "strippedrpt.test";
        bed.publish(domain, "s1", "version: STSv1\nmode: enforce\nmx: mx.strippedrpt.test\nmax_age: 86400\n");
        bed.dns().txt("_smtp._tls." + domain, "v=TLSRPTv1; rua=mailto:tls-reports@" + domain);
        TlsRptReporting t = tlsRpt();
        LocalDate today = ReportId.day(Instant.now());
        try (TestSmtpReceiver stripped = new TestSmtpReceiver("mx.strippedrpt.test", null)) {
            james.mx(domain, "mx.strippedrpt.test:" + stripped.port());
            RecordingListener.REPORTS.clear();

            // a user's mail with the headers of a report: held under enforce like any mail
            TlsRptEndToEndTest.sendWithReportHeaders(james.smtpPort(), "bob@" + domain, domain);
            await().atMost(WAIT).until(() -> RecordingListener.forDomain(domain).stream()
                    .anyMatch(r -> r.verdict() == DeliveryAttemptReport.Verdict.ENFORCED_DEFERRED));
            assertThat(RecordingListener.forDomain(domain)).noneMatch(DeliveryAttemptReport::tlsReport);
            assertThat(stripped.count()).isZero();
            t.recorder().flush();
            assertThat(t.store().results(today, domain).get(0).failedSessions()).isPositive();

            // our report about it, to the same broken MX: delivered, opportunistic, not counted
            List<SendOutcome> outcomes = t.scheduler().sendNow(today, domain, false);
            assertThat(outcomes.get(0).kind()).as(outcomes.toString()).isEqualTo(SendOutcome.Kind.SENT);
            await().atMost(WAIT).until(() -> stripped.count() == 1);
            TestSmtpReceiver.Received r = stripped.received().get(0);
            assertThat(r.recipients).containsExactly("tls-reports@" + domain);
            assertThat(r.data).contains("TLS-Required: No").contains("report-type=\"tlsrpt\"");
            assertThat(r.tls).as("STARTTLS stripped: delivered without TLS").isFalse();
            await().atMost(WAIT).until(() -> RecordingListener.forDomain(domain).stream()
                    .anyMatch(DeliveryAttemptReport::tlsReport));
            List<DeliveryAttemptReport> reportAttempts = RecordingListener.forDomain(domain).stream()
                    .filter(DeliveryAttemptReport::tlsReport).collect(java.util.stream.Collectors.toList());
            assertThat(reportAttempts).hasSize(1);
            assertThat(reportAttempts.get(0).verdict()).isEqualTo(DeliveryAttemptReport.Verdict.TLS_NOT_REQUIRED);
            assertThat(reportAttempts.get(0).toLogLine()).contains("tls-not-required");

            // the forged one is still held: the MX got the report only
            Thread.sleep(3000);
            assertThat(stripped.count()).isEqualTo(1);
        }
    }

    private static FailureDetail only(Map<FailureDetail, Long> failures, ResultType type) {
        List<FailureDetail> of = new java.util.ArrayList<>();
        for (FailureDetail f : failures.keySet()) {
            if (f.resultType() == type) {
                of.add(f);
            }
        }
        assertThat(of).as(type + " in " + failures).hasSize(1);
        return of.get(0);
    }

    private static byte[] bytes(InputStream in) throws java.io.IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
