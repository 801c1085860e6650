package dev.jamesmtasts.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import org.xbill.DNS.Type;

import com.fasterxml.jackson.databind.JsonNode;

import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.CassandraNode;
import dev.jamesmtasts.testing.HostileDomain;
import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.MtaStsTestbedExtension;
import dev.jamesmtasts.testing.ScriptedSmtpServer;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestDnsServer.SignatureFault;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * {@code mta-sts check} run in-process against real parts on loopback: the test DNS and HTTPS servers
 * (TXT, policy, TLS-RPT record, MX and A records), real SMTP receivers with STARTTLS and test-CA
 * certificates (or without STARTTLS), scripted servers for a hostile greeting and slow MX hosts, and the
 * shared Cassandra node for the cached policy. The MX hosts share one port on several loopback
 * addresses ({@code --smtp-port}).
 */
@ExtendWith(MtaStsTestbedExtension.class)
class MtaStsCliCheckTest {
    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static final String TLSRPT = "v=TLSRPTv1; rua=mailto:tlsrpt@good.test";

    /** Set by {@link MtaStsTestbedExtension}. */
    private static MtaStsTestbed bed;
    private static List<String> resolverOptions;
    private static int port;
    private static final List<AutoCloseable> SERVERS = new ArrayList<>();

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        resolverOptions = bed.cliResolverOptions(dir.resolve("ca.pem"));
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        TestCa ca = bed.ca();
        TestCa other = TestCa.create("Some other CA");
        // good: one MX, STARTTLS, a certificate for its name (and for mx2.mixed.test)
        SERVERS.add(new TestSmtpReceiver("mx.good.test", at("127.0.3.1"),
                ca.issue("mx.good.test", "mx2.mixed.test").serverContext()));
        // no STARTTLS
        SERVERS.add(new TestSmtpReceiver("mx.plain.test", at("127.0.3.2"), null));
        // a certificate for another name; a certificate from a CA nobody trusts
        SERVERS.add(new TestSmtpReceiver("mx1.wrong.test", at("127.0.3.3"), ca.issue("other.test").serverContext()));
        SERVERS.add(new TestSmtpReceiver("mx2.wrong.test", at("127.0.3.4"),
                other.issue("mx2.wrong.test").serverContext()));
        // a greeting and EHLO reply that would forge lines and drive a terminal
        SERVERS.add(new ScriptedSmtpServer(at("127.0.4.1"), s -> {
            ScriptedSmtpServer.write(s, "220-\u001b[31mmx0.evil.test\r\n220-" + HostileDomain.FORGED
                    + " \u202Egnp.exe \u009b2J\r\n220 ready\r\n");
            s.getInputStream().read(new byte[512]);
            ScriptedSmtpServer.write(s, "250-mx0.evil.test \u001b]0;title\u0007\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
            s.getInputStream().read(new byte[512]);
            ScriptedSmtpServer.write(s, "454 TLS not available \r\n" + HostileDomain.FORGED + "\r\n");
            ScriptedSmtpServer.drain(s);
        }));
        // slow: one that never says anything; one that trickles a byte every 300 ms, never ending a line
        SERVERS.add(new ScriptedSmtpServer(at("127.0.4.2"), ScriptedSmtpServer::drain));
        SERVERS.add(new ScriptedSmtpServer(at("127.0.4.3"), s -> {
            while (true) {
                ScriptedSmtpServer.write(s, "2");
                Thread.sleep(300);
            }
        }));

        bed.publish("good.test", "20261203", "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 86400\n");
        bed.dns().mx("good.test", 10, "mx.good.test").a("mx.good.test", "127.0.3.1").txt("_smtp._tls.good.test", TLSRPT);

        bed.publish("plain.test", "p1", "version: STSv1\nmode: enforce\nmx: mx.plain.test\nmax_age: 86400\n");
        bed.dns().mx("plain.test", 10, "mx.plain.test").a("mx.plain.test", "127.0.3.2");

        bed.publish("wrong.test", "w1", "version: STSv1\nmode: enforce\nmx: *.wrong.test\nmax_age: 86400\n");
        bed.dns().mx("wrong.test", 10, "mx1.wrong.test").mx("wrong.test", 20, "mx2.wrong.test")
                .a("mx1.wrong.test", "127.0.3.3").a("mx2.wrong.test", "127.0.3.4");

        bed.publish("mixed.test", "m1", "version: STSv1\nmode: enforce\nmx: *.mixed.test\nmax_age: 86400\n");
        bed.dns().mx("mixed.test", 10, "mx1.mixed.test").mx("mixed.test", 20, "mx2.mixed.test")
                .a("mx1.mixed.test", "127.0.3.3").a("mx2.mixed.test", "127.0.3.1");

        bed.publish("testing.test", "t1", "version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n");
        bed.dns().mx("testing.test", 10, "mx1.wrong.test");

        bed.dns().mx("nopolicy.test", 10, "mx1.wrong.test");

        bed.publish("evil.test", "evil1", HostileDomain.policy("evil.test"));
        bed.dns().mx("evil.test", 10, "mx0.evil.test").a("mx0.evil.test", "127.0.4.1");
        bed.dns().txt("_mta-sts.forge.test", HostileDomain.forgingRecord())
                .txt("_smtp._tls.forge.test", "v=TLSRPTv1; rua=mailto:a@forge.test\u001b[2J\u202E")
                .mx("forge.test", 10, "mx0.evil.test");

        // one MX name, three addresses: a good receiver, one without STARTTLS, one with a certificate of another name
        SERVERS.add(new TestSmtpReceiver("mx.split.test", at("127.0.6.1"), ca.issue("mx.split.test").serverContext()));
        bed.publish("split.test", "s1", "version: STSv1\nmode: enforce\nmx: mx.split.test\nmax_age: 86400\n");
        bed.dns().mx("split.test", 10, "mx.split.test").a("mx.split.test", "127.0.6.1", "127.0.3.2", "127.0.3.3");

        bed.dns().mx("silent.test", 10, "mx.silent.test").a("mx.silent.test", "127.0.4.2");
        bed.dns().mx("trickle.test", 10, "mx.trickle.test").a("mx.trickle.test", "127.0.4.3");
        signedZones(dir);
    }

    /** A second DNS server with a signed test root: DANE's validated lookups (RFC 7672) go there. */
    private static TestDnsServer signed;
    private static Path anchors;
    private static List<String> signedOptions;

    private static void signedZones(Path dir) throws Exception {
        TestCa other = TestCa.create("A CA only DANE vouches for");
        TestCa.Issued daneCert = other.issue("mx.dane.test");
        SERVERS.add(new TestSmtpReceiver("mx.dane.test", at("127.0.5.1"), daneCert.serverContext()));
        byte[] spki = MessageDigest.getInstance("SHA-256").digest(daneCert.certificate().getPublicKey().getEncoded());
        signed = TestDnsServer.start();
        SERVERS.add(signed);
        signed.signedZone(".").signedZone("test.").signedZone("dane.test.").signedZone("bogus.test.")
                .unsignedZone("plain.test.");
        // mx1: DANE-EE SPKI SHA-256 of its key (usable, matches) and a PKIX-TA record (unusable for SMTP)
        signed.mx("dane.test.", 10, "mx1.dane.test.").mx("dane.test.", 20, "mx2.dane.test.")
                .a("mx1.dane.test.", "127.0.5.1").a("mx2.dane.test.", "127.0.5.1")
                .tlsa("_25._tcp.mx1.dane.test.", 3, 1, 1, spki)
                .tlsa("_25._tcp.mx1.dane.test.", 0, 0, 1, new byte[32])
                // mx2: a usable record that matches nothing the server sends
                .tlsa("_25._tcp.mx2.dane.test.", 3, 1, 1, new byte[32]);
        signed.mx("bogus.test.", 10, "mx.bogus.test.").a("mx.bogus.test.", "127.0.5.1")
                .signatureFault("bogus.test.", Type.MX, SignatureFault.BAD_SIGNATURE);
        signed.mx("plain.test.", 10, "mx.plain.test.").a("mx.plain.test.", "127.0.5.1");
        anchors = dir.resolve("anchors.txt");
        Files.writeString(anchors, signed.trustAnchor(".") + "\n");
        signedOptions = List.of("--resolver", "127.0.0.1:" + signed.port(), "--allow-private-addresses",
                "--timeout", "10", "--smtp-port", Integer.toString(port), "--helo", "checker.test",
                "--dnssec-trust-anchors", anchors.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable s : SERVERS) {
            s.close();
        }
    }

    private static InetSocketAddress at(String ip) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    private static CliRun check(String... more) {
        List<String> args = new ArrayList<>(List.of("check"));
        args.addAll(resolverOptions);
        args.addAll(List.of("--smtp-port", Integer.toString(port), "--helo", "checker.test"));
        args.addAll(Arrays.asList(more));
        return CliRun.run(args);
    }

    private static JsonNode mx(JsonNode report, String host) {
        for (JsonNode m : report.get("mx")) {
            if (m.get("host").asText().equals(host)) {
                return m;
            }
        }
        throw new AssertionError("no MX " + host + " in " + report);
    }

    @Test
    void anEnforcePolicyWithAGoodMxDelivers() throws IOException {
        CliRun r = check("--json", "good.test");
        assertThat(r.status).as(r.out + r.err).isZero();
        JsonNode j = r.json();
        assertThat(j.get("domain").asText()).isEqualTo("good.test");
        assertThat(j.get("complete").asBoolean()).isTrue();
        JsonNode v = j.get("verdict");
        assertThat(v.get("action").asText()).isEqualTo("deliver");
        assertThat(v.get("policy").asText()).isEqualTo("mta-sts-enforce");
        assertThat(v.get("mx")).extracting(JsonNode::asText).containsExactly("mx.good.test");

        JsonNode sts = j.get("mta_sts");
        assertThat(sts.get("published").get("result").asText()).isEqualTo("policy");
        assertThat(sts.get("published").get("record").get("id").asText()).isEqualTo("20261203");
        assertThat(sts.get("published").get("policy").get("mode").asText()).isEqualTo("enforce");
        assertThat(sts.get("cached").get("consulted").asBoolean()).isFalse();
        assertThat(sts.get("next_attempt").get("outcome").asText()).isEqualTo("ok");
        assertThat(sts.get("next_attempt").get("policy_id").asText()).isEqualTo("20261203");
        assertThat(sts.get("decision").get("application").asText()).isEqualTo("enforce");

        assertThat(j.get("tls_rpt").get("result").asText()).isEqualTo("found");
        assertThat(j.get("tls_rpt").get("rua")).extracting(JsonNode::asText).containsExactly("mailto:tlsrpt@good.test");
        assertThat(j.get("mx_lookup").get("status").asText()).isEqualTo("found");

        JsonNode mx = mx(j, "mx.good.test");
        assertThat(mx.get("preference").asInt()).isEqualTo(10);
        assertThat(mx.get("addresses")).extracting(JsonNode::asText).containsExactly("127.0.3.1:" + port);
        JsonNode probe = mx.get("probe");
        assertThat(probe.get("stage").asText()).isEqualTo("done");
        assertThat(probe.get("greeting").asText()).startsWith("220 mx.good.test");
        assertThat(probe.get("ehlo")).extracting(JsonNode::asText).contains("STARTTLS");
        assertThat(probe.get("starttls").asText()).isEqualTo("offered");
        assertThat(probe.get("tls_version").asText()).isIn("TLSv1.3", "TLSv1.2");
        assertThat(probe.get("cipher").asText()).startsWith("TLS_");
        JsonNode cert = mx.get("certificate");
        assertThat(cert.get("verdict").asText()).isEqualTo("valid");
        assertThat(cert.get("names")).extracting(JsonNode::asText).containsExactly("mx.good.test", "mx2.mixed.test");
        assertThat(cert.get("subject").asText()).isEqualTo("CN=mx.good.test");
        assertThat(cert.get("issuer").asText()).isEqualTo("CN=MTA-STS test CA");
        assertThat(cert.get("sha256").asText()).hasSize(64);
        assertThat(mx.get("mta_sts").get("matched").asBoolean()).isTrue();
        assertThat(mx.get("mta_sts").get("passes_enforce").asBoolean()).isTrue();
        assertThat(mx.get("next_attempt").get("use").asBoolean()).isTrue();

        // the text form: the verdict first, one section per MX
        CliRun text = check("good.test");
        assertThat(text.status).isZero();
        assertThat(text.out).startsWith("good.test: deliver (mta-sts-enforce) via mx.good.test\n")
                .contains("\nMTA-STS\n  published:    policy (record id 20261203)\n")
                .contains("\nTLS-RPT\n  record:       found: rua mailto:tlsrpt@good.test\n")
                .contains("\nMX mx.good.test (preference 10)\n")
                .contains("  STARTTLS:     offered\n")
                .contains("  certificate:  valid\n")
                .contains("  MTA-STS:      listed in the policy, passes enforce\n")
                .contains("  next attempt: used (mta-sts-enforce): satisfies the enforce policy\n");
    }

    @Test
    void anMxWithoutStarttlsIsSkippedUnderEnforce() throws IOException {
        CliRun r = check("--json", "plain.test");
        assertThat(r.status).as(r.out + r.err).isEqualTo(1);
        JsonNode j = r.json();
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("defer");
        assertThat(j.get("verdict").get("reason").asText()).contains("no MX host satisfies the policy");
        JsonNode mx = mx(j, "mx.plain.test");
        assertThat(mx.get("probe").get("starttls").asText()).isEqualTo("not_offered");
        assertThat(mx.get("probe").get("stage").asText()).isEqualTo("ehlo");
        assertThat(mx.has("certificate")).isFalse();
        assertThat(mx.get("mta_sts").get("passes_enforce").asBoolean()).isFalse();
        assertThat(mx.get("next_attempt").get("use").asBoolean()).isFalse();
        assertThat(mx.get("next_attempt").get("reason").asText()).isEqualTo("skipped: STARTTLS not offered");

        CliRun text = check("plain.test");
        assertThat(text.status).isEqualTo(1);
        assertThat(text.out).startsWith("plain.test: defer (mta-sts-enforce)\n")
                .contains("  STARTTLS:     not offered\n");
    }

    @Test
    void wrongCertificatesAreNamedAndSkippedUnderEnforce() throws IOException {
        JsonNode j = check("--json", "wrong.test").json();
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("defer");
        JsonNode mx1 = mx(j, "mx1.wrong.test");
        assertThat(mx1.get("certificate").get("verdict").asText()).isEqualTo("host_mismatch");
        assertThat(mx1.get("certificate").get("names")).extracting(JsonNode::asText).containsExactly("other.test");
        assertThat(mx1.get("probe").get("tls_version").asText()).startsWith("TLSv1.");
        assertThat(mx1.get("next_attempt").get("reason").asText())
                .isEqualTo("skipped: certificate not valid for the MX host name");
        JsonNode mx2 = mx(j, "mx2.wrong.test");
        assertThat(mx2.get("certificate").get("verdict").asText()).isEqualTo("untrusted");
        assertThat(mx2.get("certificate").get("issuer").asText()).isEqualTo("CN=Some other CA");
        assertThat(mx2.get("next_attempt").get("reason").asText()).isEqualTo("skipped: certificate not issued by a trusted CA");

        // the first MX fails, the second satisfies the policy: delivered there
        CliRun mixed = check("--json", "mixed.test");
        assertThat(mixed.status).isZero();
        JsonNode m = mixed.json();
        assertThat(m.get("verdict").get("action").asText()).isEqualTo("deliver");
        assertThat(m.get("verdict").get("mx")).extracting(JsonNode::asText).containsExactly("mx2.mixed.test");
        assertThat(mx(m, "mx1.mixed.test").get("next_attempt").get("use").asBoolean()).isFalse();

        // testing: delivered anyway, what would fail under enforce is said
        JsonNode t = check("--json", "testing.test").json();
        assertThat(t.get("verdict").get("policy").asText()).isEqualTo("mta-sts-testing");
        assertThat(t.get("verdict").get("action").asText()).isEqualTo("deliver");
        assertThat(mx(t, "mx1.wrong.test").get("next_attempt").get("reason").asText())
                .contains("would fail under enforce: not listed in the policy's mx patterns [mx.testing.test]");

        // no policy: delivered, the certificate still shown for what it is
        JsonNode n = check("--json", "nopolicy.test").json();
        assertThat(n.get("verdict").get("policy").asText()).isEqualTo("none");
        assertThat(n.get("verdict").get("action").asText()).isEqualTo("deliver");
        assertThat(n.get("mta_sts").get("published").get("result").asText()).isEqualTo("none");
        assertThat(mx(n, "mx1.wrong.test").get("certificate").get("verdict").asText()).isEqualTo("host_mismatch");
        assertThat(mx(n, "mx1.wrong.test").has("mta_sts")).isFalse();
    }

    /**
     * Every address of an MX host is probed (the delivery goes on to the next address when one fails): one
     * good, one without STARTTLS, one with a certificate of another name. The host is used (one address
     * satisfies the policy) and the report says that its addresses disagree, and how.
     */
    @Test
    void everyAddressOfAnMxIsProbedAndADisagreementIsNamed() throws IOException {
        CliRun r = check("--json", "split.test");
        assertThat(r.status).as(r.out + r.err).isZero();
        JsonNode j = r.json();
        assertThat(j.get("complete").asBoolean()).isTrue();
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("deliver");
        JsonNode mx = mx(j, "mx.split.test");
        String good = "127.0.6.1:" + port;
        String plain = "127.0.3.2:" + port;
        String wrong = "127.0.3.3:" + port;
        assertThat(mx.get("addresses")).extracting(JsonNode::asText).containsExactlyInAnyOrder(good, plain, wrong);
        // the first address keeps the existing fields
        assertThat(mx.get("probe").get("address").asText()).isEqualTo(mx.get("addresses").get(0).asText());
        Map<String, JsonNode> byAddress = new java.util.HashMap<>();
        mx.get("probed_addresses").forEach(a -> byAddress.put(a.get("address").asText(), a));
        assertThat(byAddress).containsOnlyKeys(good, plain, wrong);
        assertThat(byAddress.get(good).get("use").asBoolean()).isTrue();
        assertThat(byAddress.get(good).get("starttls").asText()).isEqualTo("offered");
        assertThat(byAddress.get(good).get("tls_version").asText()).startsWith("TLSv1.");
        assertThat(byAddress.get(good).get("certificate").get("verdict").asText()).isEqualTo("valid");
        assertThat(byAddress.get(plain).get("use").asBoolean()).isFalse();
        assertThat(byAddress.get(plain).get("starttls").asText()).isEqualTo("not_offered");
        assertThat(byAddress.get(plain).get("reason").asText()).isEqualTo("skipped: STARTTLS not offered");
        assertThat(byAddress.get(wrong).get("use").asBoolean()).isFalse();
        assertThat(byAddress.get(wrong).get("certificate").get("verdict").asText()).isEqualTo("host_mismatch");
        JsonNode next = mx.get("next_attempt");
        assertThat(next.get("use").asBoolean()).isTrue();
        assertThat(next.get("addresses_agree").asBoolean()).isFalse();
        assertThat(next.get("disagreement").asText()).startsWith("the addresses of mx.split.test disagree:")
                .contains(plain + " not used, the delivery goes on to the next address or host (skipped: STARTTLS not offered)")
                .contains(good + " used (satisfies the enforce policy)");

        CliRun text = check("split.test");
        assertThat(text.status).isZero();
        assertThat(text.out).contains("  per address:  ")
                .contains(plain + ": not used, STARTTLS not offered, certificate not checked: skipped: STARTTLS not offered\n")
                .contains(wrong + ": not used, STARTTLS offered, ")
                .contains("  DISAGREE:     the addresses of mx.split.test disagree:");

        // one address only: no per-address lines, nothing said of agreement
        JsonNode single = mx(check("--json", "good.test").json(), "mx.good.test");
        assertThat(single.get("probed_addresses")).hasSize(1);
        assertThat(single.get("next_attempt").has("addresses_agree")).isFalse();
    }

    @Test
    void hostileRecordsPolicyAndGreetingAreEscaped() throws IOException {
        for (String domain : List.of("evil.test", "forge.test")) {
            CliRun text = check(domain);
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(text.out)).as(text.out).isEqualTo(-1);
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(text.err)).as(text.err).isEqualTo(-1);
            for (String line : text.out.split("\n")) {
                assertThat(line).as("a line the domain wrote").doesNotStartWith(HostileDomain.TIMESTAMP);
            }
            assertThat(text.out).contains("  greeting:     220-\\x1B[31mmx0.evil.test\n")
                    .contains("220-" + HostileDomain.FORGED + " \\u202Egnp.exe \\x9B2J");

            CliRun json = check("--json", domain);
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(json.out)).isEqualTo(-1);
            assertThat(json.out).contains("\\u001B[31m", "\\u202E", "\\u009B");
            JsonNode j = json.json();
            JsonNode probe = mx(j, "mx0.evil.test").get("probe");
            // JSON keeps the exact text
            assertThat(probe.get("greeting").asText()).isEqualTo("220-\u001b[31mmx0.evil.test\n220-" + HostileDomain.FORGED
                    + " \u202Egnp.exe \u009b2J\n220 ready");
            assertThat(probe.get("error").asText()).isEqualTo("STARTTLS refused: 454 TLS not available ");
        }
        CliRun evil = check("evil.test");
        assertThat(evil.out).contains("mx mx0.evil.test, mx1.evil.test, mx2.evil.test, mx3.evil.test, mx4.evil.test and 995 more");
        assertThat(evil.out.length()).isLessThan(8000);
        JsonNode forge = check("--json", "forge.test").json();
        assertThat(forge.get("mta_sts").get("published").get("result").asText()).isEqualTo("none");
        assertThat(forge.get("tls_rpt").get("result").asText()).isEqualTo("invalid");
    }

    /** A silent MX and one trickling a byte at a time: each probe ends at its bound, the check by its deadline. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void slowMxHostsAreBounded() throws IOException {
        CliRun silent = check("--json", "--smtp-timeout", "1", "silent.test");
        assertThat(silent.status).isEqualTo(1);
        JsonNode s = silent.json();
        assertThat(s.get("complete").asBoolean()).isTrue();
        JsonNode sp = mx(s, "mx.silent.test").get("probe");
        assertThat(sp.get("stage").asText()).isEqualTo("greeting");
        assertThat(sp.get("error").asText()).contains("SocketTimeoutException");
        assertThat(s.get("verdict").get("action").asText()).isEqualTo("defer");
        assertThat(s.get("verdict").get("reason").asText()).contains("no MX host answers");

        CliRun trickle = check("--json", "--smtp-timeout", "1", "--deadline", "4", "trickle.test");
        assertThat(trickle.status).isEqualTo(1);
        JsonNode t = trickle.json();
        JsonNode tp = mx(t, "mx.trickle.test").get("probe");
        assertThat(tp.get("timed_out").asBoolean()).as(tp.toString()).isTrue();
        assertThat(tp.get("error").asText()).startsWith("no complete answer within the deadline (greeting: ");
        assertThat(t.get("deadline_ms").asLong()).isEqualTo(4000);
    }

    private static CliRun checkSigned(String... more) {
        List<String> args = new ArrayList<>(List.of("check"));
        args.addAll(signedOptions);
        args.addAll(Arrays.asList(more));
        return CliRun.run(args);
    }

    /**
     * Signed zones: the MX RRset's DNSSEC status, each MX's TLSA records listed with their usability, the
     * chain checked against them (the first MX's certificate is from a CA no trust store holds: DANE alone
     * authenticates it), a usable record matching nothing, a bogus MX RRset deferring the mail.
     */
    @Test
    void daneTlsaRecordsAreListedAndApplied() throws IOException {
        CliRun r = checkSigned("--json", "dane.test");
        assertThat(r.status).as(r.out + r.err).isZero();
        JsonNode j = r.json();
        JsonNode dane = j.get("dane");
        assertThat(dane.get("status").asText()).isEqualTo("secure");
        assertThat(dane.get("hosts")).extracting(JsonNode::asText).containsExactly("mx1.dane.test", "mx2.dane.test");
        assertThat(dane.get("validation").asText()).startsWith("active: DNSSEC validation works");
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("deliver");
        assertThat(j.get("verdict").get("policy").asText()).isEqualTo("dane");
        assertThat(j.get("verdict").get("mx")).extracting(JsonNode::asText).containsExactly("mx1.dane.test");

        JsonNode mx1 = mx(j, "mx1.dane.test");
        assertThat(mx1.get("certificate").get("verdict").asText()).isEqualTo("untrusted");
        JsonNode d1 = mx1.get("dane");
        assertThat(d1.get("status").asText()).isEqualTo("usable");
        assertThat(d1.get("tlsa_base").asText()).isEqualTo("mx1.dane.test");
        assertThat(d1.get("tlsa")).hasSize(2);
        assertThat(d1.get("tlsa")).anySatisfy(t -> {
            assertThat(t.get("record").asText()).startsWith("3 1 1 ");
            assertThat(t.get("usable").asBoolean()).isTrue();
        }).anySatisfy(t -> {
            assertThat(t.get("record").asText()).startsWith("0 0 1 ");
            assertThat(t.get("usable").asBoolean()).isFalse();
        });
        assertThat(d1.get("verification").get("outcome").asText()).isEqualTo("matched");
        assertThat(mx1.get("next_attempt").get("session").asText()).isEqualTo("dane");

        JsonNode mx2 = mx(j, "mx2.dane.test");
        assertThat(mx2.get("dane").get("verification").get("outcome").asText()).isEqualTo("mismatch");
        assertThat(mx2.get("next_attempt").get("use").asBoolean()).isFalse();
        assertThat(mx2.get("next_attempt").get("reason").asText())
                .isEqualTo("skipped: DANE: 1 usable TLSA record(s), none matches the 2 certificate(s) the server sent");

        CliRun text = checkSigned("dane.test");
        assertThat(text.out).startsWith("dane.test: deliver (dane) via mx1.dane.test\n")
                .contains("\nDANE\n  MX RRset:     secure: ")
                .contains("  DANE:         usable: 1 usable TLSA record(s) of 2 at _25._tcp.mx1.dane.test\n")
                .containsPattern("\n  TLSA:         [03] [01] 1 [0-9A-F]{64} \\((un)?usable\\)\n")
                .containsPattern("\n {16}0 0 1 0{64} \\(unusable\\)\n|\n  TLSA:         0 0 1 0{64} \\(unusable\\)\n")
                .containsPattern("3 1 1 [0-9A-F]{64} \\(usable\\)\n")
                .contains("  TLSA check:   matched: DANE-EE(3) 1 1 matches the server certificate\n")
                .contains("  next attempt: used (dane): authenticated by its TLSA records (RFC 7672)\n");

        // a bogus MX RRset: whether DANE applies cannot be known, the attempt is deferred (RFC 7672 §2.1.1)
        CliRun bogus = checkSigned("--json", "bogus.test");
        assertThat(bogus.status).isEqualTo(1);
        JsonNode b = bogus.json();
        assertThat(b.get("dane").get("status").asText()).isEqualTo("bogus");
        assertThat(b.get("verdict").get("action").asText()).isEqualTo("defer");
        assertThat(b.get("verdict").get("reason").asText()).startsWith("DANE (RFC 7672): ");

        // an unsigned zone: DANE does not apply, delivered as without it
        JsonNode plain = checkSigned("--json", "plain.test").json();
        assertThat(plain.get("dane").get("status").asText()).isEqualTo("insecure");
        assertThat(plain.get("verdict").get("action").asText()).isEqualTo("deliver");
        assertThat(plain.get("verdict").get("policy").asText()).isEqualTo("none");

        // --dane off: not consulted; the default trust anchors (the real root's) against the test root: DANE off
        CliRun offAndAnchors = checkSigned("--json", "--dane", "off", "dane.test");
        assertThat(offAndAnchors.status).isEqualTo(MtaStsCli.EXIT_USAGE);
        JsonNode off = CliRun.run(List.of("check", "--resolver", "127.0.0.1:" + signed.port(), "--timeout", "10",
                "--smtp-port", Integer.toString(port), "--dane", "off", "--json", "dane.test")).json();
        assertThat(off.get("dane").get("status").asText()).isEqualTo("off");
        JsonNode wrongRoot = CliRun.run(List.of("check", "--resolver", "127.0.0.1:" + signed.port(), "--timeout", "10",
                "--smtp-port", Integer.toString(port), "--json", "dane.test")).json();
        assertThat(wrongRoot.get("dane").get("status").asText()).isEqualTo("off");
        assertThat(wrongRoot.get("dane").get("validation").asText()).startsWith("off: ");
    }

    @Test
    void theCachedPolicyIsReadFromCassandra() throws IOException {
        List<String> cassandra = List.of("--cassandra", CassandraNode.HOST + ":" + CassandraNode.shared().port(),
                "--keyspace", CASSANDRA.keyspace());
        // nothing stored yet (and no schema: the check does not create it)
        List<String> args = new ArrayList<>(cassandra);
        args.addAll(List.of("--json", "good.test"));
        CliRun empty = check(args.toArray(new String[0]));
        assertThat(empty.status).as(empty.err).isZero();
        JsonNode before = empty.json();
        assertThat(before.get("mta_sts").get("cached").get("consulted").asBoolean()).isTrue();
        assertThat(before.get("mta_sts").get("cached").get("row").isNull()).isTrue();
        assertThat(before.get("mta_sts").get("cached").get("store").asText()).contains("no policy cache in it");

        List<String> lookup = new ArrayList<>(List.of("lookup"));
        lookup.addAll(resolverOptions);
        lookup.addAll(cassandra);
        lookup.add("good.test");
        assertThat(CliRun.run(lookup).status).isZero();

        CliRun r = check(args.toArray(new String[0]));
        assertThat(r.status).as(r.err).isZero();
        JsonNode cached = r.json().get("mta_sts").get("cached");
        assertThat(cached.get("row").get("policy_id").asText()).isEqualTo("20261203");
        assertThat(cached.get("row").get("mode").asText()).isEqualTo("enforce");
        assertThat(cached.get("row").has("valid_until")).isTrue();
        assertThat(r.json().get("mta_sts").get("next_attempt").get("reason").asText()).contains("id 20261203 confirmed in DNS");

        List<String> textArgs = new ArrayList<>(cassandra);
        textArgs.add("good.test");
        assertThat(check(textArgs.toArray(new String[0])).out).contains("  cached:       enforce (record id 20261203), valid until ");
    }

    @Test
    void usageErrors() {
        CliRun dane = CliRun.run("check", "--dane", "maybe", "a.test");
        assertThat(dane.status).isEqualTo(MtaStsCli.EXIT_USAGE);
        assertThat(dane.err).contains("--dane: follow or off");
        assertThat(CliRun.run("check").status).isEqualTo(MtaStsCli.EXIT_USAGE);
        CliRun two = CliRun.run("check", "a.test", "b.test");
        assertThat(two.status).isEqualTo(MtaStsCli.EXIT_USAGE);
        assertThat(two.err).contains("one DOMAIN at a time");
        CliRun mixed = CliRun.run("check", "--jmx", "127.0.0.1:1", "--resolver", "127.0.0.1", "a.test");
        assertThat(mixed.status).isEqualTo(MtaStsCli.EXIT_USAGE);
        assertThat(mixed.err).contains("--jmx runs the check in that James");
        assertThat(CliRun.run("check", "--smtp-port", "0", "a.test").status).isEqualTo(MtaStsCli.EXIT_USAGE);
        CliRun hostile = CliRun.run("check", "--helo", "x\u001b[2J", "a.test");
        assertThat(hostile.status).isEqualTo(MtaStsCli.EXIT_USAGE);
        assertThat(HostileDomain.firstUnsafeExceptLfAndTab(hostile.err)).isEqualTo(-1);
        CliRun unreachable = CliRun.run("check", "--jmx", "127.0.0.1:1", "a.test");
        assertThat(unreachable.status).isEqualTo(MtaStsCli.EXIT_UNREACHABLE);
    }
}
