package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.util.Modules;

import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestHttpsServer;
import dev.jamesmtasts.testing.TestSmtpReceiver;
import dev.jamesmtasts.tlsrpt.AppliedPolicy;
import dev.jamesmtasts.tlsrpt.FailureDetail;
import dev.jamesmtasts.tlsrpt.PolicyType;
import dev.jamesmtasts.tlsrpt.ReportMail;
import dev.jamesmtasts.tlsrpt.ResultSink;
import dev.jamesmtasts.tlsrpt.ResultType;
import dev.jamesmtasts.tlsrpt.SessionResult;

/**
 * TLS-RPT results recorded by a real James 3.8.1 running the extension as shipped (real Cassandra-backed
 * policy cache, policies over real DNS and HTTPS from the testbed, MX receivers on loopback), with
 * {@code tlsrpt.enabled=true} and a recording {@link ResultSink} in place of the reporting store: a good MX,
 * an MX without STARTTLS, an impostor MX outside an enforce policy, a policy host serving an invalid policy,
 * and a TLS report mail whose delivery is never recorded. Every result is checked field by field.
 */
class TlsRptEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String LOOPBACK = "127.0.0.1";

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    /** The sink James's listener feeds (the test double of the reporting store). */
    public static final class RecordingSink implements ResultSink {
        static final List<SessionResult> RESULTS = new CopyOnWriteArrayList<>();
        static final List<Instant> TIMES = new CopyOnWriteArrayList<>();

        @Override
        public void record(Instant when, SessionResult result) {
            TIMES.add(when);
            RESULTS.add(result);
        }

        static List<SessionResult> forDomain(String domain) {
            return RESULTS.stream().filter(r -> r.policy().policyDomain().equals(domain)).collect(Collectors.toList());
        }
    }

    /** The extension module as shipped, its ResultSink bound to the {@link RecordingSink}. */
    public static final class Module extends AbstractModule {
        @Override
        protected void configure() {
            install(Modules.override(new MtaStsModule())
                    .with(binder -> binder.bind(ResultSink.class).toInstance(new RecordingSink())));
            Multibinder.newSetBinder(binder(), DeliveryAttemptListener.class).addBinding().to(RecordingListener.class);
        }
    }

    private static MtaStsTestbed bed;
    private static Path trustStore;
    private static TestSmtpReceiver senderMx;
    private static JamesHarness james;

    @BeforeAll
    static void start() throws Exception {
        bed = MtaStsTestbed.start();
        trustStore = bed.ca().writeTrustStore(Files.createTempFile("tlsrpt-e2e", ".p12"));
        senderMx = new TestSmtpReceiver("mx.sender.test", null);
        RecordingListener.REPORTS.clear();
        RecordingSink.RESULTS.clear();
        String properties = JamesHarness.testbedProperties(CASSANDRA.keyspace(), bed, trustStore)
                + "tlsrpt.enabled=true\n"
                + "tlsrpt.organizationName=James MTA-STS tests\n"
                + "tlsrpt.submitter=james.local\n"
                + "tlsrpt.sender=tlsrpt@james.local\n";
        james = new JamesHarness(JamesHarness.mailetContainer("<startTLS>true</startTLS>"
                + "<delayTime>5*2000</delayTime><maxRetries>5</maxRetries>"
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>"),
                properties, Module.class);
        james.mx("sender.test", "mx.sender.test:" + senderMx.port());
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

    private static TestSmtpReceiver tls(String name) {
        return new TestSmtpReceiver(name, bed.ca().issue(name).serverContext());
    }

    private static List<SessionResult> awaitResults(String domain) {
        await().atMost(WAIT).until(() -> !RecordingSink.forDomain(domain).isEmpty());
        return RecordingSink.forDomain(domain);
    }

    @Test
    void aGoodMxUnderAnEnforcePolicyIsOneSuccessfulSessionUnderThePolicyAsFetched() throws Exception {
        String policy = "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 86400\n";
        bed.publish("good.test", "g1", policy);
        try (TestSmtpReceiver mx = tls("mx.good.test")) {
            james.mx("good.test", "mx.good.test:" + mx.port());

            james.send("alice@sender.test", "good", "bob@good.test");

            RecordingListener.awaitDelivered("good.test", WAIT);
            List<SessionResult> results = awaitResults("good.test");
            assertThat(results).hasSize(1);
            SessionResult r = results.get(0);
            assertThat(r.successful()).isTrue();
            assertThat(r.failure()).isNull();
            AppliedPolicy p = r.policy();
            assertThat(p.type()).isEqualTo(PolicyType.STS);
            assertThat(p.policyDomain()).isEqualTo("good.test");
            assertThat(p.policyString()).containsExactly("version: STSv1", "mode: enforce", "mx: mx.good.test",
                    "max_age: 86400");
            assertThat(p.mxHosts()).containsExactly("mx.good.test");

            // a mail submitted over SMTP with the RFC 8460 §5.3 headers is no report of ours: only the attribute
            // our own pipeline sets marks one (ReportMail.ATTRIBUTE), so a user cannot keep mail out of the counts
            RecordingListener.REPORTS.clear();
            sendWithReportHeaders(james.smtpPort(), "bob@good.test", "good.test");
            List<DeliveryAttemptReport> attempts = RecordingListener.awaitDelivered("good.test", WAIT);
            assertThat(attempts).noneMatch(DeliveryAttemptReport::tlsReport);
            assertThat(attempts).extracting(DeliveryAttemptReport::verdict).contains(DeliveryAttemptReport.Verdict.ENFORCED_DELIVERED);
            assertThat(mx.received()).hasSize(2);
            await().atMost(WAIT).until(() -> RecordingSink.forDomain("good.test").size() == 2);
        }
    }

    @Test
    void anMxWithoutStarttlsUnderATestingPolicyIsStarttlsNotSupported() throws Exception {
        bed.publish("plain.test", "p1", "version: STSv1\nmode: testing\nmx: mx.plain.test\nmax_age: 86400\n");
        try (TestSmtpReceiver mx = new TestSmtpReceiver("mx.plain.test", null)) {
            james.mx("plain.test", "mx.plain.test:" + mx.port());

            james.send("alice@sender.test", "plain", "bob@plain.test");

            RecordingListener.awaitDelivered("plain.test", WAIT); // testing: delivered, in the clear
            List<SessionResult> results = awaitResults("plain.test");
            assertThat(results).hasSize(1);
            SessionResult r = results.get(0);
            assertThat(r.policy().type()).isEqualTo(PolicyType.STS);
            assertThat(r.policy().policyString()).contains("mode: testing");
            assertThat(r.failure()).isEqualTo(new FailureDetail(ResultType.STARTTLS_NOT_SUPPORTED, LOOPBACK,
                    "mx.plain.test", null, LOOPBACK, null, null));
            assertThat(mx.received().get(0).tls).isFalse();
        }
    }

    @Test
    void anImpostorMxOutsideAnEnforcePolicyIsAValidationFailureWithoutAConnection() throws Exception {
        bed.publish("victim.test", "v1", "version: STSv1\nmode: enforce\nmx: mx.victim.test\nmax_age: 86400\n");
        try (TestSmtpReceiver impostor = tls("mx.impostor.test")) {
            james.mx("victim.test", "mx.impostor.test:" + impostor.port());

            james.send("alice@sender.test", "impostor", "bob@victim.test");

            SessionResult r = awaitResults("victim.test").get(0);
            assertThat(r.successful()).isFalse();
            assertThat(r.policy().policyString()).contains("mx: mx.victim.test");
            assertThat(r.policy().mxHosts()).containsExactly("mx.victim.test");
            // skipped before connecting (RFC 8461 §4.1): no IPs, the MX as published in DNS
            assertThat(r.failure()).isEqualTo(new FailureDetail(ResultType.VALIDATION_FAILURE, null, "mx.impostor.test",
                    null, null, null, "mtasts-policy-mx-mismatch"));
            assertThat(impostor.connections()).isZero();
        }
    }

    @Test
    void aPolicyHostServingAnInvalidPolicyIsStsPolicyInvalidForTheSessionMadeWithoutIt() throws Exception {
        bed.dns().txt("_mta-sts.broken.test", "v=STSv1; id=b1;");
        bed.serve("broken.test", TestHttpsServer.Response.ok("version: STSv1\nmode: sometimes\n"));
        try (TestSmtpReceiver mx = tls("mx.broken.test")) {
            james.mx("broken.test", "mx.broken.test:" + mx.port());

            james.send("alice@sender.test", "broken", "bob@broken.test");

            // RFC 8461 §3.3: delivered as without a policy...
            RecordingListener.awaitDelivered("broken.test", WAIT);
            List<SessionResult> results = awaitResults("broken.test");
            assertThat(results).hasSize(1);
            SessionResult r = results.get(0);
            // ...and RFC 8460 §4.3.2.2: the session counts as sts-policy-invalid under an sts policy of unknown text
            assertThat(r.policy()).isEqualTo(new AppliedPolicy(PolicyType.STS, "broken.test", List.of(), List.of()));
            assertThat(r.failure()).isEqualTo(new FailureDetail(ResultType.STS_POLICY_INVALID, LOOPBACK,
                    "mx.broken.test", null, LOOPBACK, null, "policy-fetch-syntax"));
            assertThat(mx.received().get(0).tls).isTrue();
        }
    }

    /** Submits over SMTP a mail with the headers of a report mail (RFC 8460 §5.3, RFC 8689), as a user could. */
    static void sendWithReportHeaders(int smtpPort, String to, String policyDomain) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", LOOPBACK);
        p.put("mail.smtp.port", Integer.toString(smtpPort));
        MimeMessage m = new MimeMessage(Session.getInstance(p));
        m.setFrom(new InternetAddress("tlsrpt@james.local"));
        m.addRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject("Report Domain: " + policyDomain + " Submitter: james.local Report-ID: <x@james.local>");
        m.setHeader(ReportMail.REPORT_DOMAIN_HEADER, policyDomain);
        m.setHeader(ReportMail.REPORT_SUBMITTER_HEADER, "james.local");
        m.setHeader("TLS-Required", "No");
        m.setText("a report");
        Transport.send(m);
    }
}
