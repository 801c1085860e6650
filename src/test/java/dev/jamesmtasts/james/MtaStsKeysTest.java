package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.commons.lang3.exception.ExceptionUtils;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.server.core.JamesServerResourceLoader;
import org.apache.james.server.core.configuration.Configuration.ConfigurationPath;
import org.apache.james.server.core.filesystem.FileSystemImpl;
import org.apache.james.utils.PropertiesProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.james.MtaStsConfiguration.SessionSource;
import dev.jamesmtasts.mtasts.MtaStsSettings;
import dev.jamesmtasts.mtasts.MtaStsSettings.ContentTypePolicy;

/**
 * Every key of the shipped {@code james-conf/mta-sts.properties}, read the way James's start reads it
 * (a {@code conf/} directory, James's {@link PropertiesProvider}, the {@link MtaStsModule} provider):
 * each reaches the setting it names, and each wrong value fails naming the key, the value and the fix.
 * {@link MtaStsStartupTest} shows the same failure stopping a real James.
 */
class MtaStsKeysTest {
    private static final Path SHIPPED = ConfigurationDocTest.PROPERTIES;
    private static Path workDir;
    private static Path trustStore;
    private static Path anchors;
    private static Path notAnchors;

    @BeforeAll
    static void workDir() throws IOException {
        workDir = Files.createTempDirectory("mta-sts-keys-");
        Files.createDirectories(workDir.resolve("conf"));
        trustStore = Files.writeString(workDir.resolve("ca.pem"), "not read by the configuration\n");
        anchors = Files.writeString(workDir.resolve("anchors.txt"), ". 300 IN DS 20326 8 2 "
                + "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n");
        notAnchors = Files.writeString(workDir.resolve("not-anchors.txt"), ". 300 IN A 127.0.0.1\n");
    }

    @AfterAll
    static void removeWorkDir() throws IOException {
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** A non-default value of a key and where it must arrive. */
    private static final class Reaches {
        final String value;
        final Function<MtaStsConfiguration, Object> read;
        final Object expected;

        Reaches(String value, Function<MtaStsConfiguration, Object> read, Object expected) {
            this.value = value;
            this.read = read;
            this.expected = expected;
        }
    }

    private static Map<String, Reaches> reaches() {
        Map<String, Reaches> m = new LinkedHashMap<>();
        m.put("cassandra.contactPoints", new Reaches("10.0.0.1:9043, cass2 ,[::1]:9044",
                c -> hostPorts(c.cassandraContactPoints()), List.of("10.0.0.1:9043", "cass2:9042", "::1:9044")));
        m.put("cassandra.localDatacenter", new Reaches("dc2", MtaStsConfiguration::cassandraLocalDatacenter, "dc2"));
        m.put("cassandra.keyspace", new Reaches("Other_KS", c -> c.cacheSettings().keyspace(), "other_ks"));
        m.put("cassandra.replicationFactor", new Reaches("3", c -> c.cacheSettings().replication(),
                "{'class': 'SimpleStrategy', 'replication_factor': 3}"));
        m.put("cassandra.readConsistency", new Reaches("One", c -> c.cacheSettings().readConsistency(),
                DefaultConsistencyLevel.ONE));
        m.put("cassandra.writeConsistency", new Reaches("all", c -> c.cacheSettings().writeConsistency(),
                DefaultConsistencyLevel.ALL));
        m.put("cassandra.serialConsistency", new Reaches("SERIAL", c -> c.cacheSettings().serialConsistency(),
                DefaultConsistencyLevel.SERIAL));
        m.put("cassandra.useServerSession", new Reaches("true", MtaStsConfiguration::cassandraSessionSource, SessionSource.JAMES));
        m.put("dns.resolvers", new Reaches("127.0.0.53:5353,127.0.0.54",
                c -> hostPorts(c.resolverSettings().resolvers()), List.of("127.0.0.53:5353", "127.0.0.54:53")));
        m.put("dns.timeout", new Reaches("2s", c -> c.resolverSettings().dnsTimeout(), Duration.ofSeconds(2)));
        m.put("fetch.timeout", new Reaches("PT30S", c -> c.resolverSettings().fetchTimeout(), Duration.ofSeconds(30)));
        m.put("fetch.maxBytes", new Reaches("1024", c -> c.resolverSettings().maxPolicyBytes(), 1024));
        m.put("fetch.port", new Reaches("8443", c -> c.resolverSettings().policyPort(), 8443));
        m.put("fetch.contentType", new Reaches("LENIENT", c -> c.resolverSettings().contentTypePolicy(), ContentTypePolicy.LENIENT));
        m.put("fetch.allowPrivateAddresses", new Reaches("true", c -> c.resolverSettings().allowPrivateAddresses(), true));
        m.put("fetch.trustStore", new Reaches(trustStore.toString(), c -> c.resolverSettings().trustStoreFile(), trustStore));
        // The password arrives only with a trust store: fetch.trustStore is set too (see companions()).
        m.put("fetch.trustStorePassword", new Reaches("s3cret", c -> password(c.resolverSettings()),
                "s3cret"));
        m.put("fetch.trustStoreType", new Reaches("JKS", MtaStsConfiguration::fetchTrustStoreType, "JKS"));
        m.put("cache.nearCacheSize", new Reaches("500", c -> c.cacheSettings().nearCacheSize(), 500));
        m.put("cache.nearCacheTtl", new Reaches("30s", c -> c.cacheSettings().nearCacheTtl(), Duration.ofSeconds(30)));
        m.put("cache.idCheckInterval", new Reaches("0s", c -> c.cacheSettings().idCheckInterval(), Duration.ZERO));
        m.put("cache.lastUseWriteInterval", new Reaches("2h", c -> c.cacheSettings().lastUseWriteInterval(), Duration.ofHours(2)));
        m.put("cache.backoff", new Reaches("10m", c -> c.cacheSettings().backoff(), Duration.ofMinutes(10)));
        m.put("cache.maxConcurrentLookups", new Reaches("3", c -> c.cacheSettings().maxConcurrentLookups(), 3));
        m.put("cache.onStoreOutage", new Reaches("Defer", c -> c.cacheSettings().onStoreOutage(),
                dev.jamesmtasts.cache.CacheSettings.StoreOutage.DEFER));
        m.put("refresher.enabled", new Reaches("False", MtaStsConfiguration::refresherEnabled, false));
        m.put("refresher.interval", new Reaches("12h", c -> c.cacheSettings().refreshInterval(), Duration.ofHours(12)));
        m.put("refresher.staleAfter", new Reaches("6h", c -> c.cacheSettings().staleAfter(), Duration.ofHours(6)));
        m.put("refresher.deleteUnusedAfter", new Reaches("P30D", c -> c.cacheSettings().deleteUnusedAfter(), Duration.ofDays(30)));
        m.put("refresher.concurrency", new Reaches("8", c -> c.cacheSettings().refreshConcurrency(), 8));
        m.put("refresher.window", new Reaches("500ms", c -> c.cacheSettings().refreshWindow(), Duration.ofMillis(500)));
        m.put("dane.resolvers", new Reaches("127.0.0.55:5353,127.0.0.56",
                c -> hostPorts(c.daneSettings().resolvers()), List.of("127.0.0.55:5353", "127.0.0.56:53")));
        m.put("dane.timeout", new Reaches("1s", c -> c.daneSettings().queryTimeout(), Duration.ofSeconds(1)));
        m.put("dane.lookupTimeout", new Reaches("3s", c -> c.daneSettings().lookupTimeout(), Duration.ofSeconds(3)));
        m.put("dane.trustAnchors", new Reaches(anchors.toString(), c -> c.daneSettings().trustAnchorsFile(), anchors));
        m.put("dane.cacheSize", new Reaches("42", c -> c.daneSettings().cacheSize(), 42));
        m.put("dane.cacheMaxTtl", new Reaches("10m", c -> c.daneSettings().cacheMaxTtl(), Duration.ofMinutes(10)));
        m.put("dane.bogusTtl", new Reaches("5s", c -> c.daneSettings().bogusTtl(), Duration.ofSeconds(5)));
        m.put("dane.selfCheckInterval", new Reaches("0s", c -> c.daneSettings().selfCheckInterval(), Duration.ZERO));
        // tlsrpt.enabled needs its three companions (see companions())
        m.put("tlsrpt.enabled", new Reaches("TRUE", c -> c.tlsRptSettings().enabled(), true));
        m.put("tlsrpt.organizationName", new Reaches(" Example Inc. ", c -> c.tlsRptSettings().organizationName(),
                "Example Inc."));
        m.put("tlsrpt.contactInfo", new Reaches("tls-reports@example.net", c -> c.tlsRptSettings().contactInfo(),
                "tls-reports@example.net"));
        m.put("tlsrpt.submitter", new Reaches("Mail.Example.NET", c -> c.tlsRptSettings().submitter(), "mail.example.net"));
        m.put("tlsrpt.sender", new Reaches("noreply-tlsrpt@Example.NET", c -> c.tlsRptSettings().sender(),
                "noreply-tlsrpt@example.net"));
        m.put("tlsrpt.sendDelayMin", new Reaches("1m", c -> c.tlsRptSettings().sendDelayMin(), Duration.ofMinutes(1)));
        m.put("tlsrpt.sendDelayMax", new Reaches("11h", c -> c.tlsRptSettings().sendDelayMax(), Duration.ofHours(11)));
        m.put("tlsrpt.retentionDays", new Reaches("7", c -> c.tlsRptSettings().retentionDays(), 7));
        m.put("tlsrpt.sendSuccessOnlyReports", new Reaches("false", c -> c.tlsRptSettings().sendSuccessOnlyReports(), false));
        m.put("tlsrpt.httpTimeout", new Reaches("10s", c -> c.tlsRptSettings().httpTimeout(), Duration.ofSeconds(10)));
        m.put("tlsrpt.maxReportSize", new Reaches("1048576", c -> c.tlsRptSettings().maxReportSize(), 1048576));
        m.put("tlsrpt.maxAttempts", new Reaches("2", c -> c.tlsRptSettings().maxAttempts(), 2));
        m.put("tlsrpt.retryDelay", new Reaches("10m", c -> c.tlsRptSettings().retryDelay(), Duration.ofMinutes(10)));
        m.put("tlsrpt.ruaMaxFailures", new Reaches("5", c -> c.tlsRptSettings().ruaMaxFailures(), 5));
        m.put("tlsrpt.suppressFor", new Reaches("1d", c -> c.tlsRptSettings().suppressFor(), Duration.ofDays(1)));
        m.put("tlsrpt.flushInterval", new Reaches("5s", c -> c.tlsRptSettings().flushInterval(), Duration.ofSeconds(5)));
        m.put("tlsrpt.maxKeys", new Reaches("5000", c -> c.tlsRptSettings().maxKeys(), 5000));
        m.put("tlsrpt.maxKeysPerDomain", new Reaches("50", c -> c.tlsRptSettings().maxKeysPerDomain(), 50));
        m.put("tlsrpt.leaseTtl", new Reaches("2m", c -> c.tlsRptSettings().leaseTtl(), Duration.ofMinutes(2)));
        return m;
    }

    /** Keys that take effect only together with another key. */
    private static Map<String, String> companions(String key) {
        if (key.equals("tlsrpt.enabled")) {
            return Map.of("tlsrpt.organizationName", "Example Inc.", "tlsrpt.submitter", "example.net",
                    "tlsrpt.sender", "tlsrpt@example.net");
        }
        return key.equals("fetch.trustStorePassword") ? Map.of("fetch.trustStore", trustStore.toString()) : Map.of();
    }

    /** Wrong values of every key that has any (the others take any text). */
    private static Map<String, List<String>> wrongValues() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("cassandra.contactPoints", List.of("", "cass1:0", "cass1:x", "[::1", ":9042"));
        m.put("cassandra.localDatacenter", List.of(""));
        m.put("cassandra.keyspace", List.of("drop table;", "1abc", "", "a".repeat(49)));
        m.put("cassandra.replicationFactor", List.of("0", "101", "three"));
        m.put("cassandra.readConsistency", List.of("each_quorum", "any", "serial", "quorum2", ""));
        m.put("cassandra.writeConsistency", List.of("any", "local_serial", "2"));
        m.put("cassandra.serialConsistency", List.of("quorum", "local_quorum", ""));
        m.put("cassandra.useServerSession", List.of("maybe", "yes", "james"));
        m.put("dns.resolvers", List.of("127.0.0.1:99999", "[::1]x", "127.0.0.1:"));
        m.put("dns.timeout", List.of("0s", "5 parsecs", "-1s", "PT-1S"));
        m.put("fetch.timeout", List.of("0ms", "soon"));
        m.put("fetch.maxBytes", List.of("0", "16777217", "64k"));
        m.put("fetch.port", List.of("0", "65536", "https"));
        m.put("fetch.contentType", List.of("text/plain"));
        m.put("fetch.allowPrivateAddresses", List.of("yes", ""));
        m.put("fetch.trustStore", List.of("/nonexistent/ca.p12"));
        m.put("cache.nearCacheSize", List.of("0", "-1", "many"));
        m.put("cache.nearCacheTtl", List.of("PT-1S", "1w"));
        m.put("cache.idCheckInterval", List.of("PT-1S", ""));
        m.put("cache.lastUseWriteInterval", List.of("PT-1S"));
        m.put("cache.backoff", List.of("0s"));
        m.put("cache.maxConcurrentLookups", List.of("0", "1025", "eight"));
        m.put("cache.onStoreOutage", List.of("queue", ""));
        m.put("refresher.enabled", List.of("on"));
        m.put("refresher.interval", List.of("0s", "often"));
        m.put("refresher.staleAfter", List.of("0s"));
        m.put("refresher.deleteUnusedAfter", List.of("0d"));
        m.put("refresher.concurrency", List.of("0", "1025"));
        m.put("refresher.window", List.of("PT-1S"));
        m.put("dane.resolvers", List.of("127.0.0.1:0", "[::1"));
        m.put("dane.timeout", List.of("0s", "fast"));
        m.put("dane.lookupTimeout", List.of("0ms", "PT-1S"));
        m.put("dane.trustAnchors", List.of("/nonexistent/anchors.txt", notAnchors.toString()));
        m.put("dane.cacheSize", List.of("0", "10000001", "big"));
        m.put("dane.cacheMaxTtl", List.of("PT-1S", "forever"));
        m.put("dane.bogusTtl", List.of("PT-1S"));
        m.put("dane.selfCheckInterval", List.of("PT-1S", "hourly"));
        m.put("tlsrpt.enabled", List.of("yes"));
        m.put("tlsrpt.organizationName", List.of("Evil\u0007bell", "x".repeat(201)));
        m.put("tlsrpt.contactInfo", List.of("a\u001b[31mb"));
        m.put("tlsrpt.submitter", List.of("not a domain", "localhost", "-bad-.example"));
        m.put("tlsrpt.sender", List.of("no-at-sign", "@example.net", "a b@example.net", "x@not_a domain",
                "a(comment)@example.net"));
        m.put("tlsrpt.sendDelayMin", List.of("PT-1S", "1d", "25h", "12h"));
        m.put("tlsrpt.sendDelayMax", List.of("24h", "12h", "soon"));
        m.put("tlsrpt.retentionDays", List.of("1", "3651", "month"));
        m.put("tlsrpt.sendSuccessOnlyReports", List.of("sometimes"));
        m.put("tlsrpt.httpTimeout", List.of("0s"));
        m.put("tlsrpt.maxReportSize", List.of("1023", "67108865", "5MB"));
        m.put("tlsrpt.maxAttempts", List.of("0", "101"));
        m.put("tlsrpt.retryDelay", List.of("PT-1S", "later"));
        m.put("tlsrpt.ruaMaxFailures", List.of("0", "101"));
        m.put("tlsrpt.maxKeys", List.of("0", "10000001"));
        m.put("tlsrpt.maxKeysPerDomain", List.of("0", "many"));
        m.put("tlsrpt.leaseTtl", List.of("0s", "PT0.5S"));
        m.put("tlsrpt.suppressFor", List.of("PT-1S"));
        m.put("tlsrpt.flushInterval", List.of("0s"));
        return m;
    }

    /** The smallest and largest values each range allows: accepted (the other side of wrongValues()). */
    private static Map<String, List<String>> edgeValues() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("cassandra.keyspace", List.of("a", "a".repeat(48)));
        m.put("cassandra.replicationFactor", List.of("1", "100"));
        m.put("dns.timeout", List.of("1ms"));
        m.put("fetch.timeout", List.of("1ms"));
        m.put("fetch.maxBytes", List.of("1", "16777216"));
        m.put("fetch.port", List.of("1", "65535"));
        m.put("cache.nearCacheSize", List.of("1", "2147483647"));
        m.put("cache.nearCacheTtl", List.of("0s"));
        m.put("cache.lastUseWriteInterval", List.of("0s"));
        m.put("cache.backoff", List.of("1ms"));
        m.put("cache.maxConcurrentLookups", List.of("1", "1024"));
        m.put("refresher.interval", List.of("1ms"));
        m.put("refresher.staleAfter", List.of("1ms"));
        m.put("refresher.deleteUnusedAfter", List.of("1ms"));
        m.put("refresher.concurrency", List.of("1", "1024"));
        m.put("refresher.window", List.of("0s"));
        m.put("dane.cacheSize", List.of("1", "10000000"));
        m.put("dane.cacheMaxTtl", List.of("0s"));
        m.put("dane.bogusTtl", List.of("0s"));
        m.put("tlsrpt.sendDelayMin", List.of("0s"));
        m.put("tlsrpt.sendDelayMax", List.of("PT11H59M59S"));
        m.put("tlsrpt.retentionDays", List.of("2", "3650"));
        m.put("tlsrpt.maxReportSize", List.of("1024", "67108864"));
        m.put("tlsrpt.maxAttempts", List.of("1", "100"));
        m.put("tlsrpt.ruaMaxFailures", List.of("1", "100"));
        m.put("tlsrpt.leaseTtl", List.of("1s"));
        m.put("tlsrpt.suppressFor", List.of("0s"));
        m.put("tlsrpt.organizationName", List.of("x".repeat(200)));
        return m;
    }

    @Test
    void everyKeyOfTheShippedFileReachesTheSettingItNames() throws IOException {
        List<String> shippedKeys = new ArrayList<>(shippedLines().keySet());
        Map<String, Reaches> reaches = reaches();
        assertThat(reaches.keySet()).containsExactlyElementsOf(shippedKeys);
        MtaStsConfiguration defaults = readAsJamesDoes(Files.readString(SHIPPED));
        for (Map.Entry<String, Reaches> e : reaches.entrySet()) {
            String key = e.getKey();
            Reaches r = e.getValue();
            assertThat(r.read.apply(defaults)).as(key + ": the test value must differ from the default").isNotEqualTo(r.expected);
            Map<String, String> changes = new LinkedHashMap<>(companions(key));
            changes.put(key, r.value);
            MtaStsConfiguration c = readAsJamesDoes(shippedWith(changes));
            assertThat(r.read.apply(c)).as(key + "=" + r.value).isEqualTo(r.expected);
        }
    }

    @Test
    void theOtherSessionWordsAndTheirNames() throws IOException {
        assertThat(readAsJamesDoes(shippedWith(Map.of("cassandra.useServerSession", "false"))).cassandraSessionSource())
                .isEqualTo(SessionSource.OWN);
        assertThat(readAsJamesDoes(shippedWith(Map.of("cassandra.useServerSession", "AUTO"))).cassandraSessionSource())
                .isEqualTo(SessionSource.AUTO);
        assertThat(readAsJamesDoes(shippedWith(Map.of("fetch.contentType", "strict"))).resolverSettings().contentTypePolicy())
                .isEqualTo(ContentTypePolicy.STRICT);
    }

    @Test
    void theShippedFileAndTheKeyTableHaveTheSameKeysAndDefaults() throws IOException {
        Map<String, String> table = new LinkedHashMap<>();
        MtaStsConfiguration.keys().forEach(k -> table.put(k.name(), k.defaultValue()));
        assertThat(shippedLines()).containsExactlyEntriesOf(table);
    }

    @Test
    void theKeyTableDefaultsAreTheSettingsBuildersDefaults() {
        MtaStsConfiguration d = MtaStsConfiguration.defaults();
        assertThat(d.cacheSettings().toString()).isEqualTo(CacheSettings.defaults().toString());
        assertThat(d.resolverSettings().toString()).isEqualTo(MtaStsSettings.defaults().toString());
    }

    @Test
    void everyWrongValueFailsNamingTheKeyTheValueAndTheFix() throws IOException {
        List<String> anyText = List.of("fetch.trustStorePassword", "fetch.trustStoreType");
        List<String> covered = new ArrayList<>(wrongValues().keySet());
        covered.addAll(anyText);
        assertThat(covered).containsExactlyInAnyOrderElementsOf(DEFAULTS_KEYS());
        for (Map.Entry<String, List<String>> e : wrongValues().entrySet()) {
            ConfigKey key = key(e.getKey());
            for (String value : e.getValue()) {
                Throwable t = catchThrowable(() -> readAsJamesDoes(shippedWith(Map.of(key.name(), value))));
                assertThat(t).as(key.name() + "=" + value).isInstanceOf(IllegalArgumentException.class);
                assertThat(t.getMessage()).as(key.name() + "=" + value)
                        .startsWith("mta-sts.properties: " + key.name() + "=" + value + ": ")
                        .contains(". Fix: set " + key.name() + " to " + key.allowed() + ", or delete the line for the default");
            }
        }
    }

    @Test
    void aValueBelowARangeNamesTheRangeTheDocsShow() throws IOException {
        Throwable t = catchThrowable(() -> readAsJamesDoes(shippedWith(Map.of("cache.nearCacheSize", "0"))));
        assertThat(t).hasMessage("mta-sts.properties: cache.nearCacheSize=0: must be at least 1. Fix: set "
                + "cache.nearCacheSize to an integer, at least 1, or delete the line for the default (10000)");
        Throwable p = catchThrowable(() -> readAsJamesDoes(shippedWith(Map.of("fetch.port", "0"))));
        assertThat(p).hasMessageStartingWith("mta-sts.properties: fetch.port=0: must be from 1 to 65535.");
        Throwable d = catchThrowable(() -> readAsJamesDoes(shippedWith(Map.of("cache.backoff", "0s"))));
        assertThat(d).hasMessageStartingWith("mta-sts.properties: cache.backoff=0s: must be greater than 0.");
    }

    @Test
    void theEdgesOfEveryRangeAreAccepted() throws IOException {
        for (Map.Entry<String, List<String>> e : edgeValues().entrySet()) {
            for (String value : e.getValue()) {
                assertThat(readAsJamesDoes(shippedWith(Map.of(e.getKey(), value)))).as(e.getKey() + "=" + value).isNotNull();
            }
        }
    }

    @Test
    void tlsRptOnWithoutItsRequiredKeysFailsNamingTheMissingKeyAndTheFix() throws IOException {
        Map<String, String> complete = new LinkedHashMap<>(companions("tlsrpt.enabled"));
        complete.put("tlsrpt.enabled", "true");
        assertThat(readAsJamesDoes(shippedWith(complete)).tlsRptSettings().enabled()).isTrue();
        for (String required : List.of("tlsrpt.organizationName", "tlsrpt.submitter", "tlsrpt.sender")) {
            Map<String, String> missing = new LinkedHashMap<>(complete);
            missing.put(required, "");
            Throwable t = catchThrowable(() -> readAsJamesDoes(shippedWith(missing)));
            assertThat(t).as(required).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("mta-sts.properties: tlsrpt.enabled=true needs " + required + ", which is empty. Fix: set "
                            + required + " to " + key(required).allowed() + ", or set tlsrpt.enabled=false");
        }
        // off (the default): nothing is required
        assertThat(readAsJamesDoes(Files.readString(SHIPPED)).tlsRptSettings().enabled()).isFalse();
        // contactInfo defaults to the sender
        assertThat(readAsJamesDoes(shippedWith(complete)).tlsRptSettings().contactInfo()).isEqualTo("tlsrpt@example.net");
    }

    @Test
    void aSendDelayMinAboveTheMaxFailsNamingIt() {
        Throwable t = catchThrowable(() -> readAsJamesDoes(shippedWith(Map.of("tlsrpt.sendDelayMin", "5h"))));
        assertThat(t).hasMessageStartingWith("mta-sts.properties: tlsrpt.sendDelayMin=5h: must not exceed sendDelayMax");
    }

    @Test
    void anUnknownKeyFailsNamingItAndTheKnownKeys() {
        Throwable t = catchThrowable(() -> readAsJamesDoes(Files.readString(SHIPPED) + "cache.nearCachesize=5\n"));
        assertThat(t).hasMessageStartingWith("mta-sts.properties: unknown key 'cache.nearCachesize'. Fix: check its spelling")
                .hasMessageContaining("cache.nearCacheSize");
    }

    @Test
    void aMissingFileFailsSayingWhatToCopy() throws IOException {
        Files.deleteIfExists(workDir.resolve("conf/mta-sts.properties"));
        Throwable t = catchThrowable(() -> new MtaStsModule().configuration(jamesPropertiesProvider()));
        assertThat(ExceptionUtils.getThrowableList(t)).anyMatch(e -> String.valueOf(e.getMessage())
                .contains("conf/mta-sts.properties is missing"));
    }

    // ---- helpers ----

    private static List<String> DEFAULTS_KEYS() {
        return MtaStsConfiguration.keys().stream().map(ConfigKey::name).collect(Collectors.toList());
    }

    private static ConfigKey key(String name) {
        return MtaStsConfiguration.keys().stream().filter(k -> k.name().equals(name)).findFirst().orElseThrow();
    }

    /** The shipped file's keys and values, in file order. */
    private static Map<String, String> shippedLines() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        Pattern line = Pattern.compile("^([A-Za-z][A-Za-z.]*)=(.*)$");
        for (String l : Files.readAllLines(SHIPPED, StandardCharsets.ISO_8859_1)) {
            Matcher x = line.matcher(l);
            if (x.matches()) {
                assertThat(m.put(x.group(1), x.group(2))).as("key listed twice: " + x.group(1)).isNull();
            }
        }
        return m;
    }

    /** The shipped file with these keys' lines changed, as an admin edits it. */
    private static String shippedWith(Map<String, String> changes) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String l : Files.readAllLines(SHIPPED, StandardCharsets.ISO_8859_1)) {
            int eq = l.indexOf('=');
            String key = l.startsWith("#") || eq < 0 ? null : l.substring(0, eq);
            b.append(key != null && changes.containsKey(key) ? key + "=" + changes.get(key) : l).append('\n');
        }
        return b.toString();
    }

    /** Writes {@code conf/mta-sts.properties} and reads it through the provider James's start calls. */
    private static MtaStsConfiguration readAsJamesDoes(String properties) throws IOException {
        Files.writeString(workDir.resolve("conf/mta-sts.properties"), properties, StandardCharsets.ISO_8859_1);
        return new MtaStsModule().configuration(jamesPropertiesProvider());
    }

    private static PropertiesProvider jamesPropertiesProvider() {
        FileSystem fs = new FileSystemImpl(new JamesServerResourceLoader(workDir.toString()));
        return new PropertiesProvider(fs, new ConfigurationPath(FileSystem.FILE_PROTOCOL_AND_CONF));
    }

    private static String password(MtaStsSettings s) {
        char[] p = s.trustStorePassword();
        return p == null ? null : new String(p);
    }

    private static List<String> hostPorts(List<InetSocketAddress> list) {
        return list.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.toList());
    }
}
