package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.CertificateVerdict;
import dev.jamesmtasts.james.DeliveryAttemptReport.MxResult;
import dev.jamesmtasts.james.DeliveryAttemptReport.Starttls;
import dev.jamesmtasts.james.DeliveryAttemptReport.Verdict;
import dev.jamesmtasts.mtasts.StsPolicy.Mode;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * MtaStsRemoteDelivery inside a real James 3.8.1 (one server for the class): mail submitted over
 * SMTP, delivered to in-process STARTTLS receivers with test-CA certificates; assertions on what
 * each receiver got and on the per-attempt reports. Each test uses its own recipient domain.
 */
class MtaStsRemoteDeliveryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final TestCa CA = TestCa.create("MTA-STS Test CA");
    private static final TestCa ROGUE = TestCa.create("Rogue CA");
    private static JamesHarness james;
    private static InMemoryPolicies policies;
    private static Path trustStore;
    private static TestSmtpReceiver senderMx;

    @BeforeAll
    static void startJames() throws Exception {
        policies = InMemoryPolicies.reset();
        RecordingListener.REPORTS.clear();
        trustStore = CA.writeTrustStore(Files.createTempFile("mta-sts-trust", ".p12"));
        james = new JamesHarness("<startTLS>true</startTLS>"
                + "<delayTime>4*1500</delayTime><maxRetries>3</maxRetries>"
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>"
                + "<mtaStsOverrides>local-enforce.test=enforce:mx.local-enforce.test; off.test=off</mtaStsOverrides>");
        // The sender's own domain: bounces go there (no policy, plain receiver).
        senderMx = new TestSmtpReceiver("mx.sender.test", null);
        james.mx("sender.test", "mx.sender.test:" + senderMx.port());
    }

    @AfterAll
    static void stopJames() throws Exception {
        if (senderMx != null) {
            senderMx.close();
        }
        if (james != null) {
            james.close();
        }
        Files.deleteIfExists(trustStore);
    }

    private static TestSmtpReceiver tls(String name) {
        return new TestSmtpReceiver(name, CA.issue(name).serverContext());
    }

    @Test
    void enforceWithMatchingMxAndValidCertificateDeliversOverTls() throws Exception {
        try (TestSmtpReceiver mx = tls("mx.good.test")) {
            james.mx("good.test", "mx.good.test:" + mx.port());
            policies.put("good.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.good.test"));

            james.send("alice@sender.test", "good", "bob@good.test");

            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            assertThat(mx.received().get(0).tls).isTrue();
            assertThat(mx.received().get(0).tlsProtocol).isIn("TLSv1.2", "TLSv1.3");
            assertThat(mx.received().get(0).sni).isEqualTo("mx.good.test");
            assertThat(mx.received().get(0).recipients).containsExactly("bob@good.test");
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("good.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("good.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
            assertThat(r.policyMode()).isEqualTo("enforce");
            assertThat(r.mx()).hasSize(1);
            MxResult m = r.mx().get(0);
            assertThat(m.host()).isEqualTo("mx.good.test");
            assertThat(m.matched()).isTrue();
            assertThat(m.starttls()).isEqualTo(Starttls.OFFERED);
            assertThat(m.certificate()).isEqualTo(CertificateVerdict.VALID);
            assertThat(m.delivered()).isTrue();
        }
    }

    @Test
    void enforceSkipsImpostorMxKeepsMailAndDeliversOnceTheMxIsFixed() throws Exception {
        // The attacker's MX has a genuine certificate for its own name: only the policy stops it.
        try (TestSmtpReceiver impostor = tls("mx.attacker.test"); TestSmtpReceiver real = tls("mx.impostor.test")) {
            james.mx("impostor.test", "mx.attacker.test:" + impostor.port());
            policies.put("impostor.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.impostor.test"));

            james.send("alice@sender.test", "impostor", "bob@impostor.test");

            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("impostor.test").isEmpty());
            DeliveryAttemptReport first = RecordingListener.forDomain("impostor.test").get(0);
            assertThat(first.verdict()).isEqualTo(Verdict.ENFORCED_DEFERRED);
            assertThat(first.outcome()).isEqualTo(DeliveryAttemptReport.DeliveryOutcome.TEMPORARY_FAILURE);
            assertThat(first.mx()).extracting(MxResult::host, MxResult::matched)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("mx.attacker.test", false));
            assertThat(impostor.connections()).isZero();

            james.mx("impostor.test", "mx.impostor.test:" + real.port());

            await().atMost(WAIT).until(() -> real.received().size() == 1);
            assertThat(real.received().get(0).tls).isTrue();
            assertThat(impostor.received()).isEmpty();
            assertThat(RecordingListener.awaitDelivered("impostor.test", WAIT))
                    .extracting(DeliveryAttemptReport::verdict).last().isEqualTo(Verdict.ENFORCED_DELIVERED);
        }
    }

    @Test
    void enforceSkipsWrongNameExpiredUntrustedAndPlaintextMxHosts() throws Exception {
        try (TestSmtpReceiver wrongName = new TestSmtpReceiver("mx1.skip.test", CA.issue("other.example").serverContext());
             TestSmtpReceiver expired = new TestSmtpReceiver("mx2.skip.test", CA.issueExpired("mx2.skip.test").serverContext());
             TestSmtpReceiver untrusted = new TestSmtpReceiver("mx3.skip.test", ROGUE.issue("mx3.skip.test").serverContext());
             TestSmtpReceiver plain = new TestSmtpReceiver("mx4.skip.test", null);
             TestSmtpReceiver good = tls("mx5.skip.test")) {
            james.mx("skip.test", "mx1.skip.test:" + wrongName.port(), "mx2.skip.test:" + expired.port(),
                    "mx3.skip.test:" + untrusted.port(), "mx4.skip.test:" + plain.port(), "mx5.skip.test:" + good.port());
            policies.put("skip.test", InMemoryPolicies.policy(Mode.ENFORCE, "*.skip.test"));

            james.send("alice@sender.test", "skip", "bob@skip.test");

            await().atMost(WAIT).until(() -> good.received().size() == 1);
            assertThat(good.received().get(0).tls).isTrue();
            assertThat(wrongName.received()).isEmpty();
            assertThat(expired.received()).isEmpty();
            assertThat(untrusted.received()).isEmpty();
            assertThat(plain.received()).isEmpty();
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("skip.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("skip.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
            List<MxResult> mx = r.mx();
            assertThat(mx).extracting(MxResult::host).containsExactly(
                    "mx1.skip.test", "mx2.skip.test", "mx3.skip.test", "mx4.skip.test", "mx5.skip.test");
            assertThat(mx).allMatch(MxResult::matched);
            assertThat(mx.get(0).certificate()).isEqualTo(CertificateVerdict.HOST_MISMATCH);
            assertThat(mx.get(1).certificate()).isEqualTo(CertificateVerdict.EXPIRED);
            assertThat(mx.get(2).certificate()).isEqualTo(CertificateVerdict.UNTRUSTED);
            assertThat(mx.get(3).starttls()).isEqualTo(Starttls.NOT_OFFERED);
            assertThat(mx.get(4).certificate()).isEqualTo(CertificateVerdict.VALID);
            assertThat(mx.subList(0, 4)).noneMatch(MxResult::delivered);
            assertThat(mx.get(4).delivered()).isTrue();
        }
    }

    @Test
    void testingPolicyDeliversAsUsualAndCountsWhatWouldFail() throws Exception {
        long before = countOf(Verdict.TESTING_WOULD_FAIL);
        try (TestSmtpReceiver plain = new TestSmtpReceiver("mx.testing.test", null)) {
            james.mx("testing.test", "mx.testing.test:" + plain.port());
            policies.put("testing.test", InMemoryPolicies.policy(Mode.TESTING, "mx.elsewhere.test"));

            james.send("alice@sender.test", "testing", "bob@testing.test");

            await().atMost(WAIT).until(() -> plain.received().size() == 1);
            assertThat(plain.received().get(0).tls).isFalse();
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("testing.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("testing.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.TESTING_WOULD_FAIL);
            assertThat(r.mx().get(0).matched()).isFalse();
            assertThat(r.mx().get(0).starttls()).isEqualTo(Starttls.NOT_OFFERED);
            assertThat(r.reason()).contains("not in the policy's mx list");
            assertThat(countOf(Verdict.TESTING_WOULD_FAIL)).isEqualTo(before + 1);
        }
    }

    @Test
    void testingPolicyRecordsACertificateForTheWrongNameOnTheUsualSession() throws Exception {
        try (TestSmtpReceiver wrong = new TestSmtpReceiver("mx1.testing2.test", CA.issue("other.example").serverContext());
             TestSmtpReceiver right = tls("mx2.testing2.test")) {
            james.mx("testing2.test", "mx1.testing2.test:" + wrong.port(), "mx2.testing2.test:" + right.port());
            policies.put("testing2.test", InMemoryPolicies.policy(Mode.TESTING, "*.testing2.test"));

            james.send("alice@sender.test", "testing2", "bob@testing2.test");

            // As RemoteDelivery with startTLS and verifyServerIdentity: MX 1 fails, MX 2 gets the mail.
            await().atMost(WAIT).until(() -> right.received().size() == 1);
            assertThat(wrong.received()).isEmpty();
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("testing2.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("testing2.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.TESTING_WOULD_FAIL);
            assertThat(r.mx()).extracting(MxResult::certificate)
                    .containsExactly(CertificateVerdict.HOST_MISMATCH, CertificateVerdict.VALID);
            assertThat(r.mx().get(1).delivered()).isTrue();
        }
    }

    @Test
    void noPolicyDeliversAsRemoteDeliveryWould() throws Exception {
        try (TestSmtpReceiver plain = new TestSmtpReceiver("mx.nopolicy.test", null)) {
            james.mx("nopolicy.test", "mx.nopolicy.test:" + plain.port());

            james.send("alice@sender.test", "nopolicy", "bob@nopolicy.test", "carol@nopolicy.test");

            await().atMost(WAIT).until(() -> plain.received().size() == 1);
            assertThat(plain.received().get(0).recipients)
                    .containsExactlyInAnyOrder("bob@nopolicy.test", "carol@nopolicy.test");
            assertThat(plain.received().get(0).tls).isFalse();
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("nopolicy.test").isEmpty());
            assertThat(RecordingListener.forDomain("nopolicy.test").get(0).verdict()).isEqualTo(Verdict.NO_POLICY);
            assertThat(policies.lookups("nopolicy.test")).isEqualTo(1);
        }
    }

    @Test
    void modeNoneAndFetchBackoffDeliverAsWithoutPolicy() throws Exception {
        try (TestSmtpReceiver none = new TestSmtpReceiver("mx.none.test", null);
             TestSmtpReceiver backoff = new TestSmtpReceiver("mx.backoff.test", null)) {
            james.mx("none.test", "mx.none.test:" + none.port());
            james.mx("backoff.test", "mx.backoff.test:" + backoff.port());
            policies.put("none.test", dev.jamesmtasts.mtasts.StsPolicy.of(Mode.NONE, List.of(), 86400));
            policies.answer("backoff.test", CacheResult.backoff("fetch failed 2 minutes ago"));

            james.send("alice@sender.test", "none", "bob@none.test", "bob@backoff.test");

            await().atMost(WAIT).until(() -> none.received().size() == 1 && backoff.received().size() == 1);
            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("none.test").isEmpty()
                    && !RecordingListener.forDomain("backoff.test").isEmpty());
            assertThat(RecordingListener.forDomain("none.test").get(0).verdict()).isEqualTo(Verdict.NO_POLICY);
            assertThat(RecordingListener.forDomain("backoff.test").get(0).verdict()).isEqualTo(Verdict.NO_POLICY);
            assertThat(RecordingListener.forDomain("backoff.test").get(0).reason()).contains("backoff");
        }
    }

    @Test
    void aPolicyThatChangesBetweenTwoAttemptsIsHonoured() throws Exception {
        try (TestSmtpReceiver mx = tls("mx.old.change.test")) {
            james.mx("change.test", "mx.old.change.test:" + mx.port());
            policies.put("change.test", InMemoryPolicies.policy(Mode.ENFORCE, "*.new.change.test"));

            james.send("alice@sender.test", "change", "bob@change.test");

            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("change.test").isEmpty());
            assertThat(RecordingListener.forDomain("change.test").get(0).verdict())
                    .isEqualTo(Verdict.ENFORCED_DEFERRED);
            assertThat(mx.received()).isEmpty();

            policies.put("change.test", InMemoryPolicies.policy(Mode.ENFORCE, "*.old.change.test"));

            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            List<DeliveryAttemptReport> reports = RecordingListener.awaitDelivered("change.test", WAIT);
            assertThat(reports.get(reports.size() - 1).verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
            assertThat(reports.get(reports.size() - 1).attempt()).isGreaterThan(1);
            assertThat(policies.lookups("change.test")).isEqualTo(reports.size());
        }
    }

    @Test
    void afterTheLastRetryTheBounceNamesTheMtaStsReason() throws Exception {
        senderMx.clear();
        try (TestSmtpReceiver impostor = tls("mx.evil.test")) {
            james.mx("bounce.test", "mx.evil.test:" + impostor.port());
            policies.put("bounce.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.bounce.test"));

            james.send("alice@sender.test", "bounce", "bob@bounce.test");

            await().atMost(WAIT).until(() -> senderMx.received().stream()
                    .anyMatch(m -> m.data.contains("bob@bounce.test")));
            String dsn = senderMx.received().stream().filter(m -> m.data.contains("bob@bounce.test"))
                    .findFirst().get().data;
            assertThat(dsn).contains("MTA-STS policy");
            assertThat(dsn).contains("could not be satisfied");
            assertThat(dsn).contains("mx.evil.test");
            assertThat(impostor.received()).isEmpty();
            // James raises maxRetries=3 to the 4 attempts of delayTime 4*1500 (as for RemoteDelivery):
            // the first attempt + 4 retries, each deferred, then the bounce.
            assertThat(RecordingListener.forDomain("bounce.test")).hasSize(5)
                    .allMatch(r -> r.verdict() == Verdict.ENFORCED_DEFERRED);
        }
    }

    /**
     * Sends to {@code domain} (MX {@code mx}) while its five attempts (first + 4 retries) see an enforce
     * policy listing {@code firstMx} under id "old", and every later lookup one listing {@code thenMx}
     * under id "new".
     */
    private static void sendWhileThePolicyChanges(String domain, TestSmtpReceiver mx, String firstMx, String thenMx)
            throws Exception {
        james.mx(domain, mx.name() + ":" + mx.port());
        policies.answerThenChange(domain, 5,
                CacheResult.policy(InMemoryPolicies.policy(Mode.ENFORCE, firstMx), "old", true, "test"),
                CacheResult.policy(InMemoryPolicies.policy(Mode.ENFORCE, thenMx), "new", true, "test"));
        james.send("alice@sender.test", domain, "bob@" + domain);
    }

    @Test
    void aPolicyChangedBeforeTheFinalBounceGetsOneMoreAttemptUnderTheNewPolicy() throws Exception {
        try (TestSmtpReceiver moved = tls("mx.moved.test")) {
            // The domain moved its policy to an MX the old one did not list, just before the bounce.
            sendWhileThePolicyChanges("recheck.test", moved, "mx.old.test", "mx.moved.test");

            await().atMost(WAIT).until(() -> moved.received().size() == 1);
            assertThat(moved.received().get(0).tls).isTrue();
            List<DeliveryAttemptReport> reports = RecordingListener.awaitDelivered("recheck.test", WAIT);
            assertThat(reports).extracting(DeliveryAttemptReport::verdict).containsExactly(Verdict.ENFORCED_DEFERRED,
                    Verdict.ENFORCED_DEFERRED, Verdict.ENFORCED_DEFERRED, Verdict.ENFORCED_DEFERRED,
                    Verdict.ENFORCED_DEFERRED, Verdict.ENFORCED_DELIVERED);
            assertThat(reports.get(5).policyId()).isEqualTo("new");
            // five attempts, the check before the bounce, the extra attempt
            assertThat(policies.lookups("recheck.test")).isEqualTo(7);
            assertThat(senderMx.received()).noneMatch(m -> m.data.contains("bob@recheck.test"));
        }
    }

    @Test
    void theCheckBeforeTheFinalBounceGivesOneExtraAttemptAtMost() throws Exception {
        try (TestSmtpReceiver outside = tls("mx.outside-recheck.test")) {
            // The policy changes, but the new one does not list the MX either: one extra attempt, then the bounce.
            sendWhileThePolicyChanges("recheck2.test", outside, "mx.a.test", "mx.b.test");

            await().atMost(WAIT).until(() -> senderMx.received().stream().anyMatch(m -> m.data.contains("bob@recheck2.test")));
            assertThat(RecordingListener.forDomain("recheck2.test")).hasSize(6)
                    .allMatch(r -> r.verdict() == Verdict.ENFORCED_DEFERRED);
            assertThat(policies.lookups("recheck2.test")).isEqualTo(7);
            assertThat(outside.connections()).isZero();
        }
    }

    @Test
    void lookupErrorDefersByDefaultThenDeliversWhenTheLookupWorks() throws Exception {
        try (TestSmtpReceiver mx = tls("mx.dnsfail.test")) {
            james.mx("dnsfail.test", "mx.dnsfail.test:" + mx.port());
            policies.answer("dnsfail.test", CacheResult.error("SERVFAIL for _mta-sts.dnsfail.test"));

            james.send("alice@sender.test", "dnsfail", "bob@dnsfail.test");

            await().atMost(WAIT).until(() -> !RecordingListener.forDomain("dnsfail.test").isEmpty());
            DeliveryAttemptReport r = RecordingListener.forDomain("dnsfail.test").get(0);
            assertThat(r.verdict()).isEqualTo(Verdict.LOOKUP_ERROR);
            assertThat(r.outcome()).isEqualTo(DeliveryAttemptReport.DeliveryOutcome.TEMPORARY_FAILURE);
            assertThat(r.mx()).isEmpty();
            assertThat(mx.connections()).isZero();

            policies.put("dnsfail.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.dnsfail.test"));

            await().atMost(WAIT).until(() -> mx.received().size() == 1);
            assertThat(mx.received().get(0).tls).isTrue();
        }
    }

    @Test
    void localEnforceOverrideAppliesToADomainWithoutPolicy() throws Exception {
        try (TestSmtpReceiver backup = tls("backup.local-enforce.test"); TestSmtpReceiver primary = tls("mx.local-enforce.test")) {
            james.mx("local-enforce.test", "backup.local-enforce.test:" + backup.port(),
                    "mx.local-enforce.test:" + primary.port());

            james.send("alice@sender.test", "local", "bob@local-enforce.test");

            await().atMost(WAIT).until(() -> primary.received().size() == 1);
            assertThat(backup.received()).isEmpty();
            DeliveryAttemptReport r = RecordingListener.awaitDelivered("local-enforce.test", WAIT).get(0);
            assertThat(r.policyOrigin()).isEqualTo(DeliveryAttemptReport.PolicyOrigin.LOCAL_OVERRIDE);
            assertThat(r.verdict()).isEqualTo(Verdict.ENFORCED_DELIVERED);
            assertThat(policies.lookups("local-enforce.test")).isZero();
        }
    }

    @Test
    void offOverrideIgnoresThePublishedPolicy() throws Exception {
        try (TestSmtpReceiver plain = new TestSmtpReceiver("mx.off.test", null)) {
            james.mx("off.test", "mx.off.test:" + plain.port());
            policies.put("off.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.elsewhere.test"));

            james.send("alice@sender.test", "off", "bob@off.test");

            await().atMost(WAIT).until(() -> plain.received().size() == 1);
            assertThat(RecordingListener.awaitDelivered("off.test", WAIT).get(0).verdict()).isEqualTo(Verdict.NO_POLICY);
        }
    }

    @Test
    void theMBeanListsWhatTheCacheHoldsOverJmxRmi() throws Exception {
        policies.put("aaa-jmx.test", InMemoryPolicies.policy(Mode.ENFORCE, "mx.aaa-jmx.test"));
        policies.put("bbb-jmx.test", InMemoryPolicies.policy(Mode.TESTING, "*.bbb-jmx.test"));
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        java.rmi.registry.Registry registry = java.rmi.registry.LocateRegistry.createRegistry(port);
        javax.management.remote.JMXConnectorServer connector = javax.management.remote.JMXConnectorServerFactory
                .newJMXConnectorServer(new javax.management.remote.JMXServiceURL(
                        "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi"), null,
                        java.lang.management.ManagementFactory.getPlatformMBeanServer());
        connector.start();
        try {
            String target = "127.0.0.1:" + port;
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"--jmx", target, "list", "--after", "aaa-jmx.test",
                "--limit", "1"}, new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).as(err.toString()).isZero();
            assertThat(out.toString()).startsWith("bbb-jmx.test\ttesting\t").contains("mx=*.bbb-jmx.test")
                    .contains("# more: --after bbb-jmx.test");

            out.reset();
            rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"jmx", "--jmx", target, "show", "AAA-jmx.test"},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).isZero();
            assertThat(out.toString()).contains("mode: enforce").contains("mx: mx.aaa-jmx.test")
                    .contains("version: STSv1");

            out.reset();
            rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"--jmx", target, "evict", "aaa-jmx.test"},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).isZero();
            assertThat(policies.show("aaa-jmx.test")).isEmpty();
            rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"--jmx", target, "show", "aaa-jmx.test"},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).isEqualTo(1);

            out.reset();
            rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"--jmx", target, "refresh-round"},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).isZero();
            assertThat(out.toString()).contains("refreshed: ");

            out.reset();
            rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"--jmx", target, "counters"},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).isZero();
            assertThat(out.toString()).contains("refreshRounds: 1").contains("mtaSts.delivery.enforced-delivered: ");

            rc = dev.jamesmtasts.cli.JmxCommand.run(new String[] {"--jmx", target, "show"},
                    new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
            assertThat(rc).isEqualTo(2);
        } finally {
            connector.stop();
            java.rmi.server.UnicastRemoteObject.unexportObject(registry, true);
        }
    }

    @Test
    void deliveryCountersAreJamesMetricsVisibleOnJmx() throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        assertThat(server.queryNames(null, null)).anyMatch(n -> n.toString().contains("mtaSts.delivery.no-policy"));
        java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + james.webAdminPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).containsPattern("mtaSts.delivery.enforced.delivered");
    }

    private static long countOf(Verdict v) throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        @SuppressWarnings("unchecked")
        java.util.Map<String, Long> counters = (java.util.Map<String, Long>) server.getAttribute(
                new javax.management.ObjectName(MtaStsMBean.OBJECT_NAME), "Counters");
        return counters.getOrDefault(MtaStsMetrics.PREFIX + v.label(), 0L);
    }
}
