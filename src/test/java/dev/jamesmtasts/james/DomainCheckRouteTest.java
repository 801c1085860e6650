package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;

import javax.management.ObjectName;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.jamesmtasts.cli.MtaStsCli;
import dev.jamesmtasts.testing.CassandraExtension;
import dev.jamesmtasts.testing.HostileDomain;
import dev.jamesmtasts.testing.ScriptedSmtpServer;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestDnsServer;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * The domain check inside a real James 3.8.1 with the extension as shipped (real backend on the shared
 * Cassandra node, testbed DNS and HTTPS for MTA-STS, a signed test DNS for DANE with {@code dane=follow},
 * James's own DNS service for the MX hosts): WebAdmin {@code GET /mta-sts/domains/DOMAIN/check}, the
 * MBean's {@code checkDomain}, and {@code mta-sts check --jmx} over a real JMX RMI connector. The check
 * uses the running mailet's settings, MX resolution and trust store, and the node's policy store.
 */
class DomainCheckRouteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = "version: STSv1\nmode: enforce\nmx: mx.route.test\nmax_age: 86400\n";

    @RegisterExtension
    static final CassandraExtension CASSANDRA = new CassandraExtension();

    private static EndToEndFixture e2e;
    private static TestDnsServer signed;
    private static Path anchors;
    private static TestSmtpReceiver routeMx;
    private static TestSmtpReceiver daneMx;
    private static ScriptedSmtpServer hostileMx;
    private static JamesHarness james;

    @BeforeAll
    static void start() throws Exception {
        e2e = EndToEndFixture.start();
        routeMx = e2e.tls("mx.route.test");
        TestCa.Issued daneCert = TestCa.create("A CA only DANE vouches for").issue("mx.dane.test");
        daneMx = new TestSmtpReceiver("mx.dane.test", daneCert.serverContext());
        hostileMx = new ScriptedSmtpServer(s -> {
            ScriptedSmtpServer.write(s, "220-\u001b[31mmx.hostile.test\r\n220 " + HostileDomain.FORGED + " \u202E\u009b2J\r\n");
            ScriptedSmtpServer.drain(s);
        });
        e2e.bed.publish("route.test", "r1", POLICY);
        e2e.bed.dns().txt("_smtp._tls.route.test", "v=TLSRPTv1; rua=mailto:tlsrpt@route.test");

        // DANE's DNS: a signed test root; dane.test signed with a DANE-EE record of mx.dane.test's key;
        // route.test and hostile.test unsigned delegations (DANE does not apply to them)
        signed = TestDnsServer.start();
        byte[] spki = MessageDigest.getInstance("SHA-256").digest(daneCert.certificate().getPublicKey().getEncoded());
        signed.signedZone(".").signedZone("test.").signedZone("dane.test.")
                .unsignedZone("route.test.").unsignedZone("hostile.test.")
                .mx("dane.test.", 10, "mx.dane.test.").a("mx.dane.test.", "127.0.0.1")
                .tlsa("_25._tcp.mx.dane.test.", 3, 1, 1, spki);
        anchors = Files.createTempFile("dnssec-anchors", ".txt");
        Files.writeString(anchors, signed.trustAnchor(".") + "\n");

        james = e2e.james("127.0.0.1:9042", CASSANDRA.keyspace(),
                "dane.resolvers=127.0.0.1:" + signed.port() + "\ndane.trustAnchors=" + anchors + "\n"
                        // the health test breaks the root's signatures for a while: self-checks every 2s, and
                        // no bogus answer kept beyond that test
                        + "dane.selfCheckInterval=2s\ndane.bogusTtl=0s\n",
                "<delayTime>3*1000</delayTime><maxRetries>5</maxRetries><dane>follow</dane>", Map.of(), binder -> { });
        james.mx("route.test", "mx.route.test:" + routeMx.port());
        james.mx("dane.test", "mx.dane.test:" + daneMx.port());
        james.mx("hostile.test", "mx.hostile.test:" + hostileMx.port());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {james, routeMx, daneMx, hostileMx, signed, e2e}) {
            if (c != null) {
                c.close();
            }
        }
        Files.deleteIfExists(anchors);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + james.webAdminPort() + path))
                .GET().timeout(Duration.ofSeconds(60)).build();
        return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
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
    void webAdminChecksWithTheMailetsSettingsAndTheNodesStore() throws Exception {
        HttpResponse<String> first = get("/mta-sts/domains/route.test/check");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode j = JSON.readTree(first.body());
        assertThat(j.get("settings").asText()).isEqualTo("the MtaStsRemoteDelivery mailet of this James node");
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("deliver");
        assertThat(j.get("verdict").get("policy").asText()).isEqualTo("mta-sts-enforce");
        assertThat(j.get("mx_lookup").get("detail").asText()).contains("James's DNS service");
        JsonNode mx = mx(j, "mx.route.test");
        assertThat(mx.has("preference")).isFalse();
        assertThat(mx.get("probe").get("address").asText()).isEqualTo("127.0.0.1:" + routeMx.port());
        // the mailet's mtaStsTrustStore (the test CA) is what the certificate is checked against
        assertThat(mx.get("certificate").get("verdict").asText()).isEqualTo("valid");
        assertThat(mx.get("next_attempt").get("use").asBoolean()).isTrue();
        assertThat(j.get("tls_rpt").get("rua").get(0).asText()).isEqualTo("mailto:tlsrpt@route.test");
        assertThat(j.get("dane").get("status").asText()).isEqualTo("insecure");
        assertThat(j.get("dane").get("validation").asText()).startsWith("active: ");
        JsonNode cached = j.get("mta_sts").get("cached");
        assertThat(cached.get("store").asText()).isEqualTo("this node's policy store (keyspace " + CASSANDRA.keyspace() + ")");
        assertThat(cached.get("row").isNull()).isTrue();
        // the check stores nothing: the policy host was asked once, by the check
        int fetches = e2e.bed.https().requests("mta-sts.route.test");

        // a delivery stores the policy; the next check shows the stored row and the id confirmed in DNS
        james.send("alice@sender.test", "checked", "bob@route.test");
        await().atMost(Duration.ofSeconds(60)).until(() -> routeMx.received().size() == 1);
        assertThat(e2e.bed.https().requests("mta-sts.route.test")).isEqualTo(fetches + 1);
        JsonNode after = JSON.readTree(get("/mta-sts/domains/route.test/check").body());
        assertThat(after.get("mta_sts").get("cached").get("row").get("policy_id").asText()).isEqualTo("r1");
        assertThat(after.get("mta_sts").get("next_attempt").get("reason").asText()).contains("id r1 confirmed in DNS");
        assertThat(routeMx.received()).hasSize(1); // probing sent no mail
    }

    @Test
    void daneIsAppliedAsTheMailetAppliesIt() throws Exception {
        HttpResponse<String> r = get("/mta-sts/domains/dane.test/check");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode j = JSON.readTree(r.body());
        assertThat(j.get("dane").get("status").asText()).isEqualTo("secure");
        assertThat(j.get("verdict").get("policy").asText()).isEqualTo("dane");
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("deliver");
        JsonNode mx = mx(j, "mx.dane.test");
        assertThat(mx.get("certificate").get("verdict").asText()).isEqualTo("untrusted");
        assertThat(mx.get("dane").get("tlsa").get(0).get("record").asText()).startsWith("3 1 1 ");
        assertThat(mx.get("dane").get("verification").get("outcome").asText()).isEqualTo("matched");
    }

    @Test
    void hostileTextIsEscapedAndBadInputAnswered() throws Exception {
        HttpResponse<String> r = get("/mta-sts/domains/hostile.test/check");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(HostileDomain.firstUnsafeExceptLfAndTab(r.body())).isEqualTo(-1);
        assertThat(r.body()).contains("\\u001B[31mmx.hostile.test", "\\u202E", "\\u009B");
        JsonNode j = JSON.readTree(r.body());
        assertThat(mx(j, "mx.hostile.test").get("probe").get("greeting").asText())
                .isEqualTo("220-\u001b[31mmx.hostile.test\n220 " + HostileDomain.FORGED + " \u202E\u009b2J");
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("deliver"); // no policy: it answers SMTP

        HttpResponse<String> bad = get("/mta-sts/domains/bad..domain/check");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).get("message").asText()).contains("not a domain name");
    }

    /** The MBean operation, and {@code mta-sts check --jmx} over a real JMX RMI connector: the same report. */
    @Test
    void theMBeanAndTheCliOverJmxGiveTheSameReport() throws Exception {
        String report = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName(MtaStsMBean.OBJECT_NAME),
                "checkDomain", new Object[] {"ROUTE.test."}, new String[] {String.class.getName()});
        JsonNode j = JSON.readTree(report);
        assertThat(j.get("domain").asText()).isEqualTo("route.test");
        assertThat(j.get("verdict").get("action").asText()).isEqualTo("deliver");

        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        java.rmi.registry.Registry registry = java.rmi.registry.LocateRegistry.createRegistry(port);
        JMXConnectorServer connector = JMXConnectorServerFactory.newJMXConnectorServer(
                new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi"), null,
                ManagementFactory.getPlatformMBeanServer());
        connector.start();
        try {
            String target = "127.0.0.1:" + port;
            String[] text = cli("check", "--jmx", target, "route.test");
            assertThat(text[0]).as(text[2]).isEqualTo("0");
            assertThat(text[1]).startsWith("route.test: deliver (mta-sts-enforce) via mx.route.test\n")
                    .contains("  settings:     the MtaStsRemoteDelivery mailet of this James node\n")
                    .contains("\nMX mx.route.test\n");
            String[] json = cli("check", "--jmx", target, "--json", "dane.test");
            assertThat(json[0]).isEqualTo("0");
            assertThat(JSON.readTree(json[1]).get("verdict").get("policy").asText()).isEqualTo("dane");
            String[] hostile = cli("check", "--jmx", target, "hostile.test");
            assertThat(HostileDomain.firstUnsafeExceptLfAndTab(hostile[1])).isEqualTo(-1);
            assertThat(hostile[1]).contains("  greeting:     220-\\x1B[31mmx.hostile.test\n");
            String[] status = cli("jmx", "--jmx", target, "status");
            assertThat(status[0]).as(status[2]).isEqualTo("0");
            assertThat(status[1]).startsWith("store: ").contains("\ndane.health: healthy\n")
                    .contains("\ndane.mode: follow\n").contains("\ndane.active: true\n").contains("\ndane.selfCheck: ok\n");
            String[] bad = cli("check", "--jmx", target, "nothing-here.test");
            assertThat(bad[0]).isEqualTo("1"); // no MX host: the attempt would fail
        } finally {
            connector.stop();
            java.rmi.server.UnicastRemoteObject.unexportObject(registry, true);
        }
    }

    /**
     * {@code GET /mta-sts/health} carries DANE's self-check: healthy with {@code dane=follow} and working
     * validation; when the root's DNSKEY signatures go missing after it worked (an on-path stripper), the
     * DANE check turns degraded (never unhealthy: 200) while DANE stays active; healthy again once fixed.
     * The MBean's {@code DaneStatus} attribute says the same.
     */
    @Test
    void healthShowsDanesSelfCheckAndTurnsDegradedWhileItFails() throws Exception {
        JsonNode ok = JSON.readTree(get("/mta-sts/health").body());
        assertThat(ok.get("status").asText()).as(ok.toString()).isEqualTo("healthy");
        assertThat(ok.get("checks").get(0).get("componentName").asText()).isEqualTo("MTA-STS policy store");
        assertThat(ok.get("checks").get(1).get("componentName").asText()).isEqualTo("MTA-STS DANE self-check");
        assertThat(ok.get("checks").get(1).get("status").asText()).isEqualTo("healthy");
        JsonNode dane = ok.get("dane");
        assertThat(dane.get("mode").asText()).isEqualTo("follow");
        assertThat(dane.get("active").asBoolean()).isTrue();
        assertThat(dane.get("selfCheck").asText()).isEqualTo("ok");
        assertThat(dane.get("everWorked").asBoolean()).isTrue();
        assertThat(java.time.Instant.parse(dane.get("selfCheckAt").asText())).isBeforeOrEqualTo(java.time.Instant.now());
        assertThat(dane.get("resolvers").asText()).contains(Integer.toString(signed.port()));
        @SuppressWarnings("unchecked")
        Map<String, String> attribute = (Map<String, String>) ManagementFactory.getPlatformMBeanServer()
                .getAttribute(new ObjectName(MtaStsMBean.OBJECT_NAME), "DaneStatus");
        assertThat(attribute).containsEntry("mode", "follow").containsEntry("active", "true")
                .containsEntry("selfCheck", "ok").containsEntry("health", "healthy");

        signed.signatureFault(".", org.xbill.DNS.Type.DNSKEY, TestDnsServer.SignatureFault.MISSING);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                HttpResponse<String> r = get("/mta-sts/health");
                assertThat(r.statusCode()).as("degraded is never 503").isEqualTo(200);
                JsonNode j = JSON.readTree(r.body());
                assertThat(j.get("status").asText()).as(r.body()).isEqualTo("degraded");
                assertThat(j.get("checks").get(1).get("cause").asText())
                        .contains("active but its DNSSEC self-check fails", "deferred");
                assertThat(j.get("dane").get("selfCheck").asText()).isEqualTo("failed");
                assertThat(j.get("dane").get("active").asBoolean()).as("no downgrade switch").isTrue();
            });
            @SuppressWarnings("unchecked")
            Map<String, String> failing = (Map<String, String>) ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(new ObjectName(MtaStsMBean.OBJECT_NAME), "DaneStatus");
            assertThat(failing).containsEntry("health", "degraded").containsEntry("everWorked", "true");
        } finally {
            signed.signatureFault(".", org.xbill.DNS.Type.DNSKEY, null);
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(JSON.readTree(get("/mta-sts/health").body()).get("status").asText()).isEqualTo("healthy"));
    }

    private static String[] cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = MtaStsCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }
}
