package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.server.core.MailImpl;
import org.apache.james.transport.mailets.remote.delivery.ExecutionResult;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.MtaStsMailetSettings.Mode;
import dev.jamesmtasts.james.MtaStsMailetSettings.OnLookupError;
import dev.jamesmtasts.tlsrpt.ReportMail;
import dev.jamesmtasts.tlsrpt.ResultSink;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;

/** {@link TlsRptListener}: what reaches the sink, what never does, and that it never throws. */
class TlsRptListenerTest {
    /** A sink that records what it is given (the test double of the reporting store). */
    static final class RecordingSink implements ResultSink {
        final List<Instant> times = new ArrayList<>();
        final List<SessionResult> results = new ArrayList<>();

        @Override
        public void record(Instant when, SessionResult result) {
            times.add(when);
            results.add(result);
        }
    }

    private static DeliveryAttemptReport report(boolean tlsReport, MxResult... mx) {
        AttemptDecision d = new PolicyDecider(Mode.FOLLOW, OnLookupError.DELIVER, Map.of(), false)
                .decide("d.example", domain -> CacheResult.notFound("NXDOMAIN"));
        AttemptContext c = new AttemptContext(d.application, d.policy);
        c.results.addAll(List.of(mx));
        return AttemptReports.build("m1", "d.example", 1, d, c, ExecutionResult.success(), tlsReport);
    }

    private static final MxResult PLAIN = new MxResult("mx.d.example", false, Starttls.NOT_OFFERED,
            CertificateVerdict.NOT_CHECKED, null, true, null, "127.0.0.1", "127.0.0.1");
    private static final MxResult GOOD = new MxResult("mx2.d.example", false, Starttls.OFFERED,
            CertificateVerdict.VALID, "TLSv1.3", true, null, "127.0.0.1", "127.0.0.1");

    @Test
    void everySessionResultOfAnAttemptReachesTheSinkAtTheAttemptsTime() {
        RecordingSink sink = new RecordingSink();
        DeliveryAttemptReport r = report(false, PLAIN, GOOD);

        new TlsRptListener(sink).onAttempt(r);

        assertThat(sink.results).isEqualTo(TlsRptResults.of(r));
        assertThat(sink.results).extracting(x -> x.successful()).containsExactly(false, true);
        assertThat(sink.results.get(0).failure().resultType()).isEqualTo(ResultType.STARTTLS_NOT_SUPPORTED);
        assertThat(sink.times).containsOnly(r.time());
    }

    /** An attempt under {@code policyText} (enforce, published) to {@code domain}: one good MX, as the mailet builds it. */
    private static DeliveryAttemptReport enforced(String domain, String policyText, String outcomeMx) {
        MxResult mx = new MxResult(outcomeMx, true, Starttls.OFFERED, CertificateVerdict.VALID, "TLSv1.3", true, null,
                new String("127.0.0.100"), new String("127.0.0.1"));
        return new DeliveryAttemptReport(Instant.now(), "m-" + domain, domain, 1,
                DeliveryAttemptReport.Verdict.ENFORCED_DELIVERED, DeliveryAttemptReport.PolicyOrigin.PUBLISHED,
                "enforce", "id1", policyText, "enforce", DeliveryAttemptReport.DeliveryOutcome.DELIVERED, List.of(mx),
                new ArrayList<>(List.of(outcomeMx)), DeliveryAttemptReport.PublishedPolicy.APPLIED, null, false);
    }

    private static String policyText(String domain) {
        return "version: STSv1\nmode: enforce\nmx: mx." + domain + "\nmax_age: 86400\n";
    }

    @Test
    void theSamePolicyOfADomainReachesTheSinkAsOneInstanceAndAChangedOneAsANewPolicy() {
        RecordingSink sink = new RecordingSink();
        TlsRptListener listener = new TlsRptListener(sink);
        String text = policyText("d.example");

        listener.onAttempt(enforced("d.example", text, "mx.d.example"));
        listener.onAttempt(enforced("d.example", text, "mx.d.example"));
        listener.onAttempt(enforced("d.example", text.replace("86400", "604800"), "mx.d.example"));

        assertThat(sink.results).hasSize(3).allMatch(SessionResult::successful);
        assertThat(sink.results.get(1).policy()).isSameAs(sink.results.get(0).policy());
        assertThat(sink.results.get(2).policy()).isNotEqualTo(sink.results.get(0).policy());
        assertThat(sink.results.get(2).policy().policyString()).contains("max_age: 604800");
    }

    /**
     * Allocation-light on the delivery thread: once a domain's policy is known, an attempt with a
     * successful session allocates little more than its result list. Before the policy was reused, each
     * attempt split the policy text with a regular expression and copied and hashed it (~1,400 bytes per
     * attempt, TlsRptAttemptBenchmark); now ~70 bytes compiled, ~110 interpreted. Bytes, not time.
     */
    @Test
    void anAttemptUnderAKnownPolicyAllocatesNoCopyOfThePolicy() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean
                && ((com.sun.management.ThreadMXBean) mx).isThreadAllocatedMemoryEnabled());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
        dev.jamesmtasts.reporting.ResultRecorder recorder = new dev.jamesmtasts.reporting.ResultRecorder(
                dev.jamesmtasts.reporting.ReportStore.unconnected(dev.jamesmtasts.cache.CacheSettings.defaults()),
                dev.jamesmtasts.tlsrpt.TlsRptSettings.defaults(), java.time.Clock.systemUTC());
        TlsRptListener listener = new TlsRptListener(recorder);
        List<DeliveryAttemptReport> reports = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String d = "d" + (i % 20) + ".example";
            reports.add(enforced(d, policyText(d).intern(), "mx." + d)); // the cached policy's one text
        }
        reports.forEach(listener::onAttempt); // the domains' policies and counters exist from now on

        int rounds = 20;
        long self = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(self);
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < reports.size(); i++) {
                listener.onAttempt(reports.get(i));
            }
        }
        long perAttempt = (threads.getThreadAllocatedBytes(self) - before) / ((long) rounds * reports.size());

        assertThat(recorder.recorded()).isEqualTo((rounds + 1L) * reports.size());
        assertThat(recorder.dropped()).isZero();
        assertThat(perAttempt).as("bytes allocated per attempt").isLessThan(256);
    }

    @Test
    void theDeliveryOfATlsReportIsNeverRecorded() {
        RecordingSink sink = new RecordingSink();

        new TlsRptListener(sink).onAttempt(report(true, PLAIN, GOOD));

        assertThat(sink.results).isEmpty();
    }

    @Test
    void aReportMailIsRecognisedByItsAttributeOnlyNeverByHeadersAUserCanWrite() throws MessagingException {
        MimeMessage plain = MimeMessageBuilder.mimeMessageBuilder().setSubject("hello").setText("hi").build();
        MimeMessage report = MimeMessageBuilder.mimeMessageBuilder().setSubject("Report Domain: d.example")
                .addHeader(ReportMail.REPORT_DOMAIN_HEADER, "d.example").addHeader("TLS-Required", "No")
                .setText("report").build();
        Mail withAttribute = MailImpl.builder().name("a").sender("alice@sender.test").addRecipient("bob@d.example")
                .mimeMessage(plain).addAttribute(new Attribute(org.apache.mailet.AttributeName.of(ReportMail.ATTRIBUTE),
                        AttributeValue.of("d.example"))).build();

        assertThat(TlsRptListener.isTlsReport(mail("p", plain))).isFalse();
        assertThat(TlsRptListener.isTlsReport(mail("r", report))).as("forged headers are no mark").isFalse();
        assertThat(TlsRptListener.isTlsReport(withAttribute)).isTrue();
    }

    private static Mail mail(String name, MimeMessage m) throws MessagingException {
        return MailImpl.builder().name(name).sender("alice@sender.test").addRecipient("bob@d.example").mimeMessage(m)
                .build();
    }

    @Test
    void aFailingSinkNeverReachesTheDeliveryThread() {
        ResultSink broken = (when, result) -> {
            throw new IllegalStateException("store gone");
        };

        new TlsRptListener(broken).onAttempt(report(false, PLAIN));
        // no exception: the mailet's delivery goes on (the failure is logged, rate-limited)
    }

    @Test
    void withTlsRptOffNothingIsMapped() {
        // ResultSink.NONE (tlsrpt.enabled=false): the listener returns before mapping anything
        new TlsRptListener(ResultSink.NONE).onAttempt(report(false, PLAIN, GOOD));
        assertThat(TlsRptResults.of(report(false, PLAIN))).hasSize(1);
    }
}
