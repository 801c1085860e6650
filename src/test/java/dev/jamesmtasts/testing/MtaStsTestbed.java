package dev.jamesmtasts.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.jamesmtasts.mtasts.MtaStsSettings;

/**
 * A {@link TestDnsServer}, a {@link TestHttpsServer} and a {@link TestCa} wired together, so that a
 * test can publish a complete MTA-STS domain in one call and get resolver settings that reach it.
 *
 * <pre>
 * try (MtaStsTestbed bed = MtaStsTestbed.start()) {
 *     bed.publish("example.com", "20240101", "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n");
 *     try (MtaStsResolver r = new MtaStsResolver(bed.settings().build())) {
 *         r.lookup("example.com");   // POLICY
 *     }
 * }
 * </pre>
 *
 * Policy hosts resolve to 127.0.0.1, so {@link #settings()} allows private addresses.
 */
public final class MtaStsTestbed implements AutoCloseable {
    /** A sample valid enforce policy (two mx patterns, max_age one day). */
    public static final String ENFORCE_POLICY = "version: STSv1\nmode: enforce\nmx: mx1.example.net\nmx: *.example.org\nmax_age: 86400\n";

    private final TestCa ca;
    private final TestDnsServer dns;
    private final TestHttpsServer https;

    private MtaStsTestbed(TestCa ca, TestDnsServer dns, TestHttpsServer https) {
        this.ca = ca;
        this.dns = dns;
        this.https = https;
    }

    /** Starts both servers with a fresh CA. */
    public static MtaStsTestbed start() throws IOException {
        TestDnsServer dns = TestDnsServer.start();
        try {
            return new MtaStsTestbed(TestCa.create("MTA-STS test CA"), dns, TestHttpsServer.start());
        } catch (IOException | RuntimeException e) {
            dns.close();
            throw e;
        }
    }

    public TestCa ca() {
        return ca;
    }

    public TestDnsServer dns() {
        return dns;
    }

    public TestHttpsServer https() {
        return https;
    }

    /**
     * Publishes a domain: TXT {@code v=STSv1; id=<id>;} at {@code _mta-sts.<domain>}, A 127.0.0.1 for
     * {@code mta-sts.<domain>}, a valid certificate for that name, and {@code policy} served as
     * text/plain.
     */
    public MtaStsTestbed publish(String domain, String id, String policy) {
        dns.txt("_mta-sts." + domain, "v=STSv1; id=" + id + ";");
        return serve(domain, TestHttpsServer.Response.ok(policy));
    }

    /** Makes {@code mta-sts.<domain>} resolve to 127.0.0.1 and serve {@code response} with a valid certificate. */
    public MtaStsTestbed serve(String domain, TestHttpsServer.Response response) {
        String host = "mta-sts." + domain;
        dns.clear(host).a(host, "127.0.0.1");
        https.host(host, ca.issue(host), response);
        return this;
    }

    /**
     * Settings reaching the test servers: this DNS server as the only resolver, the HTTPS server's
     * port, private addresses allowed, trust in this CA only, short DNS time-out (1 s) and fetch
     * bound (10 s). Adjust further as needed.
     */
    public MtaStsSettings.Builder settings() {
        return MtaStsSettings.builder()
                .addResolver(dns.address())
                .policyPort(https.port())
                .allowPrivateAddresses(true)
                .sslContext(ca.clientContext())
                .dnsTimeout(java.time.Duration.ofSeconds(5)) // an answer on a loaded 2-core machine can take over 1 s; tests of time-outs set their own
                .fetchTimeout(java.time.Duration.ofSeconds(10));
    }

    /**
     * The {@code mta-sts} resolver options reaching the test servers (as {@link #settings()} does):
     * this DNS server, the CA written as PEM to {@code caPem}, private addresses allowed, the HTTPS
     * port and a 10 s time-out.
     */
    public List<String> cliResolverOptions(Path caPem) throws IOException {
        if (!Files.exists(caPem)) {
            ca.writePem(caPem);
        }
        return List.of("--resolver", "127.0.0.1:" + dns.port(),
                "--trust-store", caPem.toString(),
                "--allow-private-addresses",
                "--policy-port", String.valueOf(https.port()),
                "--timeout", "10");
    }

    @Override
    public void close() {
        https.close();
        dns.close();
    }
}
