package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.HostileDomain;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * A hostile recipient domain against a real James 3.8.1 with the extension as shipped (real
 * Cassandra, the loopback DNS and HTTPS servers): a {@code _mta-sts} record that would forge a log
 * line, and an enforce policy with 1,000 mx patterns, bidi and C1 controls. Nothing James logs holds a
 * raw control character or a line the domain wrote; reasons and the bounce name a few mx patterns
 * and are capped; WebAdmin and JMX show the policy escaped (WebAdmin's JSON keeping its exact text).
 */
class HostileDomainDeliveryTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static MtaStsTestbed bed;
    private static Path trustStore;
    private static TestSmtpReceiver senderMx;
    private static JamesHarness james;
    private static ListAppender<ILoggingEvent> logged;

    @BeforeAll
    static void start() throws Exception {
        bed = MtaStsTestbed.start();
        trustStore = bed.ca().writeTrustStore(Files.createTempFile("mta-sts-hostile", ".p12"));
        senderMx = new TestSmtpReceiver("mx.sender.test", null);
        RecordingListener.REPORTS.clear();
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        logged = new ListAppender<>();
        logged.setContext(context);
        logged.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logged);

        bed.dns().txt("_mta-sts.forge.test", HostileDomain.forgingRecord());
        bed.publish("evil.test", "evil1", HostileDomain.policy("evil.test"));

        String properties = JamesHarness.testbedProperties(CASSANDRA.keyspace(), bed, trustStore);
        // delayTime 2*500: three attempts (James raises maxRetries to the two retries), then the bounce.
        james = new JamesHarness(JamesHarness.mailetContainer("<startTLS>true</startTLS>"
                + "<delayTime>2*500</delayTime><maxRetries>1</maxRetries>"
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>"),
                properties, RealBackendTestModule.class);
        james.mx("sender.test", "mx.sender.test:" + senderMx.port());
    }

    @AfterAll
    static void stop() throws Exception {
        if (james != null) {
            james.close();
        }
        if (logged != null) {
            ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                    .detachAppender(logged);
        }
        if (senderMx != null) {
            senderMx.close();
        }
        if (bed != null) {
            bed.close();
        }
        Files.deleteIfExists(trustStore);
    }

    /**
     * Every event of the extension, and every event anywhere that carries the domain's text: no raw
     * control, C1 or bidi character (so no line of the domain's making), in the message or in an
     * exception's message.
     */
    private static void assertNothingHostileLogged() {
        List<ILoggingEvent> events = List.copyOf(logged.list);
        assertThat(events).isNotEmpty();
        for (ILoggingEvent e : events) {
            StringBuilder text = new StringBuilder(e.getFormattedMessage());
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                text.append(" | ").append(t.getMessage());
            }
            String s = text.toString();
            if (e.getLoggerName().startsWith("dev.jamesmtasts") || s.contains(HostileDomain.MARKER)
                    || s.contains(HostileDomain.TIMESTAMP) || s.contains("forge.test") || s.contains("evil.test")) {
                assertThat(HostileDomain.firstUnsafe(s)).as("%s: %s", e.getLoggerName(), s).isEqualTo(-1);
            }
        }
    }

    @Test
    void aForgingRecordIsLoggedEscapedAndTheMailDelivered() throws Exception {
        try (TestSmtpReceiver mx = new TestSmtpReceiver("mx.forge.test", null)) {
            james.mx("forge.test", "mx.forge.test:" + mx.port());

            james.send("alice@sender.test", "forge", "bob@forge.test");

            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("forge.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("forge.test").get(0);
            // RFC 8461 §3.1: an STS record that does not parse means no policy.
            assertThat(r.verdict()).isEqualTo(Verdict.NO_POLICY);
            assertThat(r.reason()).contains("'1\\x0D\\x0A" + HostileDomain.TIMESTAMP + "\\x1B[31m\\x00")
                    .hasSizeLessThanOrEqualTo(SafeText.REASON_MAX);
            assertThat(HostileDomain.firstUnsafe(r.toLogLine())).isEqualTo(-1);
            await().atMost(WAIT).until(() -> logged.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().startsWith("MTA-STS no-policy domain=forge.test")));
            assertNothingHostileLogged();
        }
    }

    @Test
    void aThousandMxPolicyWithControlCharactersGivesShortReasonsAndAShortBounce() throws Exception {
        try (TestSmtpReceiver outside = new TestSmtpReceiver("mx.outside.test", null)) {
            james.mx("evil.test", "mx.outside.test:" + outside.port());

            james.send("alice@sender.test", "evil", "bob@evil.test");

            await().atMost(WAIT).until(() -> senderMx.received().stream().anyMatch(m -> m.data.contains("bob@evil.test")));
            String dsn = senderMx.received().stream().filter(m -> m.data.contains("bob@evil.test")).findFirst().get().data;
            assertThat(dsn).contains("MTA-STS policy").contains("mx [mx0.evil.test, mx1.evil.test, mx2.evil.test and 997 more]")
                    .doesNotContain("mx3.evil.test").doesNotContain("mx999.evil.test");
            assertThat(dsn.length()).isLessThan(8000);
            assertThat(outside.connections()).isZero();

            List<DeliveryAttemptReport> reports = RecordingListener.forDomain("evil.test");
            assertThat(reports).hasSize(3).allMatch(r -> r.verdict() == Verdict.ENFORCED_DEFERRED);
            for (DeliveryAttemptReport r : reports) {
                assertThat(r.reason()).hasSizeLessThanOrEqualTo(SafeText.REASON_MAX)
                        .contains("not listed in the policy's mx patterns [mx0.evil.test, mx1.evil.test, mx2.evil.test"
                                + " and 997 more]");
                assertThat(r.toLogLine().length()).isLessThan(2 * SafeText.REASON_MAX);
                // The report itself keeps the policy as served (TLS-RPT needs the real text).
                assertThat(r.policyText()).isEqualTo(HostileDomain.policy("evil.test"));
            }
            assertNothingHostileLogged();

            // WebAdmin: the exact text, every unsafe character escaped as \\uXXXX.
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + james.webAdminPort() + "/mta-sts/policies/evil.test")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(body).doesNotContain("\u202E", "\u009B", "\u2028", "\r").contains("\\u202E", "\\u009B");
            JsonNode row = new ObjectMapper().readTree(body);
            assertThat(row.get("policy_text").asText()).isEqualTo(HostileDomain.policy("evil.test"));

            // JMX: every value shown escaped, the body line by line.
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            @SuppressWarnings("unchecked")
            Map<String, String> jmx = (Map<String, String>) server.invoke(new ObjectName(MtaStsMBean.OBJECT_NAME),
                    "showPolicy", new Object[] {"evil.test"}, new String[] {String.class.getName()});
            assertThat(jmx.values()).allSatisfy(v -> assertThat(HostileDomain.firstUnsafe(v.replace("\n", ""))).isEqualTo(-1));
            assertThat(jmx.get("policy_text")).contains("x-note: \\u202Egnp.exe \\x9B2J " + HostileDomain.MARKER);
        }
    }
}
