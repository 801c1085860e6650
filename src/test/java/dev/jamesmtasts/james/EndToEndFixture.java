package dev.jamesmtasts.james;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.jamesmtasts.testing.MtaStsTestbed;
import dev.jamesmtasts.testing.TestCa;
import dev.jamesmtasts.testing.TestSmtpReceiver;

/**
 * What the tests of the extension as shipped in a real James share: a testbed (DNS, HTTPS policy hosts,
 * test CA), a trust store file of its CA, the sender domain's plain MX, and a James whose
 * {@code mta-sts.properties} points the real backend at them.
 */
final class EndToEndFixture implements AutoCloseable {
    final MtaStsTestbed bed;
    final Path trustStore;
    final TestSmtpReceiver senderMx;

    private EndToEndFixture(MtaStsTestbed bed, Path trustStore, TestSmtpReceiver senderMx) {
        this.bed = bed;
        this.trustStore = trustStore;
        this.senderMx = senderMx;
    }

    static EndToEndFixture start() throws Exception {
        MtaStsTestbed bed = MtaStsTestbed.start();
        Path trustStore = bed.ca().writeTrustStore(Files.createTempFile("mta-sts-e2e", ".p12"));
        TestSmtpReceiver senderMx = new TestSmtpReceiver("mx.sender.test", null);
        RecordingListener.REPORTS.clear();
        return new EndToEndFixture(bed, trustStore, senderMx);
    }

    /**
     * A James with the extension as shipped ({@link RealBackendTestModule}), its store at
     * {@code contactPoint}/{@code keyspace}, STARTTLS delivery trusting the test CA, the sender's MX known.
     */
    JamesHarness james(String contactPoint, String keyspace) throws Exception {
        return james(contactPoint, keyspace, "");
    }

    /** As {@link #james(String, String)} with {@code moreProperties} (lines of keys not set there) added. */
    JamesHarness james(String contactPoint, String keyspace, String moreProperties) throws Exception {
        return james(contactPoint, keyspace, moreProperties, DEFAULT_RETRIES);
    }

    /** As above, with the delivery mailet's {@code retries} ({@code <delayTime>} and {@code <maxRetries>}). */
    JamesHarness james(String contactPoint, String keyspace, String moreProperties, String retries) throws Exception {
        return james(contactPoint, keyspace, moreProperties, retries, java.util.Map.of(), binder -> { });
    }

    /**
     * As {@link #james(String, String, String)}, plus more files in {@code conf/} and a module of the
     * server's own injector (see {@link JamesHarness}).
     */
    JamesHarness james(String contactPoint, String keyspace, String moreProperties, java.util.Map<String, String> moreConf,
                       com.google.inject.Module serverModule) throws Exception {
        return james(contactPoint, keyspace, moreProperties, DEFAULT_RETRIES, moreConf, serverModule);
    }

    private static final String DEFAULT_RETRIES = "<delayTime>3*1000</delayTime><maxRetries>5</maxRetries>";

    /** The general form: every other {@code james(...)} calls this one. */
    JamesHarness james(String contactPoint, String keyspace, String moreProperties, String retries,
                       java.util.Map<String, String> moreConf, com.google.inject.Module serverModule) throws Exception {
        String properties = "cassandra.contactPoints=" + contactPoint + "\n"
                + "cassandra.keyspace=" + keyspace + "\n"
                + "dns.resolvers=127.0.0.1:" + bed.dns().port() + "\n"
                + "dns.timeout=2s\n"
                + "fetch.port=" + bed.https().port() + "\n"
                + "fetch.timeout=10s\n"
                + "fetch.allowPrivateAddresses=true\n"
                + "fetch.trustStore=" + trustStore + "\n"
                + "fetch.trustStorePassword=" + TestCa.password() + "\n"
                + "cache.idCheckInterval=0s\n"
                + "refresher.enabled=false\n"
                + moreProperties;
        JamesHarness james = new JamesHarness(JamesHarness.mailetContainer("<startTLS>true</startTLS>"
                + retries
                + "<mtaStsTrustStore>" + trustStore + "</mtaStsTrustStore>"
                + "<mtaStsTrustStorePassword>" + TestCa.password() + "</mtaStsTrustStorePassword>"),
                properties, RealBackendTestModule.class, moreConf, serverModule);
        james.mx("sender.test", "mx.sender.test:" + senderMx.port());
        return james;
    }

    /** An MX receiver with STARTTLS and a certificate for {@code name} from the test CA. */
    TestSmtpReceiver tls(String name) {
        return new TestSmtpReceiver(name, bed.ca().issue(name).serverContext());
    }

    @Override
    public void close() throws Exception {
        try {
            senderMx.close();
        } finally {
            try {
                bed.close();
            } finally {
                Files.deleteIfExists(trustStore);
            }
        }
    }
}
