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
