package dev.jamesmtasts.james;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.apache.commons.configuration2.PropertiesConfiguration;
import org.junit.jupiter.api.Test;

import dev.jamesmtasts.cache.CacheSettings;
import dev.jamesmtasts.mtasts.MtaStsSettings;

class MtaStsConfigurationTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        MtaStsConfiguration c = MtaStsConfiguration.defaults();
        assertThat(c.cassandraContactPoints()).hasSize(1);
        assertThat(c.cassandraContactPoints().get(0).getHostString()).isEqualTo("127.0.0.1");
        assertThat(c.cassandraContactPoints().get(0).getPort()).isEqualTo(9042);
        assertThat(c.cassandraLocalDatacenter()).isEqualTo("datacenter1");
        assertThat(c.cacheSettings().keyspace()).isEqualTo("mta_sts");
        assertThat(c.cacheSettings().replication()).isEqualTo(CacheSettings.Builder.simpleStrategy(1));
        assertThat(c.cassandraSessionSource()).isEqualTo(MtaStsConfiguration.SessionSource.AUTO);
        assertThat(c.resolverSettings().resolvers()).isEmpty();
        assertThat(c.resolverSettings().dnsTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.resolverSettings().fetchTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.resolverSettings().maxPolicyBytes()).isEqualTo(65536);
        assertThat(c.resolverSettings().policyPort()).isEqualTo(443);
        assertThat(c.resolverSettings().contentTypePolicy()).isEqualTo(MtaStsSettings.ContentTypePolicy.STRICT);
        assertThat(c.resolverSettings().allowPrivateAddresses()).isFalse();
        assertThat(c.resolverSettings().trustStoreFile()).isNull();
        assertThat(c.fetchTrustStoreType()).isEqualTo("PKCS12");
        assertThat(c.cacheSettings().nearCacheSize()).isEqualTo(10000);
        assertThat(c.cacheSettings().nearCacheTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.cacheSettings().idCheckInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.cacheSettings().lastUseWriteInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(c.cacheSettings().backoff()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.refresherEnabled()).isTrue();
        assertThat(c.cacheSettings().refreshInterval()).isEqualTo(Duration.ofHours(24));
        assertThat(c.cacheSettings().staleAfter()).isEqualTo(Duration.ofHours(12));
        assertThat(c.cacheSettings().deleteUnusedAfter()).isEqualTo(Duration.ofDays(180));
        assertThat(c.cacheSettings().refreshConcurrency()).isEqualTo(4);
        assertThat(c.cacheSettings().refreshWindow()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void readsACommonsConfigurationWithListsAndDurations() {
        PropertiesConfiguration p = new PropertiesConfiguration();
        p.addProperty("cassandra.contactPoints", "10.0.0.1:9043,cass2");
        p.addProperty("dns.resolvers", "127.0.0.53:5353");
        p.addProperty("dns.timeout", "PT2S");
        p.addProperty("cache.backoff", "10m");
        p.addProperty("refresher.deleteUnusedAfter", "2d");
        p.addProperty("fetch.contentType", "LENIENT");
        p.addProperty("cassandra.useServerSession", "false");
        MtaStsConfiguration c = MtaStsConfiguration.from(p);
        assertThat(c.cassandraContactPoints()).extracting(a -> a.getHostString() + ":" + a.getPort())
                .containsExactly("10.0.0.1:9043", "cass2:9042");
        assertThat(c.resolverSettings().resolvers().get(0).getPort()).isEqualTo(5353);
        assertThat(c.resolverSettings().dnsTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.cacheSettings().backoff()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.cacheSettings().deleteUnusedAfter()).isEqualTo(Duration.ofDays(2));
        assertThat(c.resolverSettings().contentTypePolicy()).isEqualTo(MtaStsSettings.ContentTypePolicy.LENIENT);
        assertThat(c.cassandraSessionSource()).isEqualTo(MtaStsConfiguration.SessionSource.OWN);
    }

    @Test
    void wrongValuesAndUnknownKeysNameTheKey() {
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("dns.timeout", "5 parsecs")))
                .hasMessageContaining("dns.timeout");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("fetch.port", "70000")))
                .hasMessageContaining("fetch.port");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cassandra.useServerSession", "maybe")))
                .hasMessageContaining("cassandra.useServerSession").hasMessageContaining("auto|true|false");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("refresher.enabled", "yes")))
                .hasMessageContaining("refresher.enabled");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cassandra.keyspace", "drop table;")))
                .hasMessageContaining("cassandra.keyspace");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cassandra.contactPoints", "")))
                .hasMessageContaining("cassandra.contactPoints");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("refresher.interval", "0s")))
                .hasMessageContaining("refresher.interval");
        assertThatThrownBy(() -> MtaStsConfiguration.from(Map.of("cache.backof", "5m")))
                .hasMessageContaining("unknown key 'cache.backof'");
    }

    @Test
    void durationSyntax() {
        assertThat(MtaStsConfiguration.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(MtaStsConfiguration.parseDuration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(MtaStsConfiguration.parseDuration("P2D")).isEqualTo(Duration.ofDays(2));
        assertThatThrownBy(() -> MtaStsConfiguration.parseDuration("h")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MtaStsConfiguration.parseDuration("5w")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsAreWrittenAsAnAdminWouldAndReadBackTheSame() {
        assertThat(ConfigKey.formatDuration(Duration.ofSeconds(60))).isEqualTo("60s");
        assertThat(ConfigKey.formatDuration(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(ConfigKey.formatDuration(Duration.ofHours(24))).isEqualTo("24h");
        assertThat(ConfigKey.formatDuration(Duration.ofDays(180))).isEqualTo("180d");
        assertThat(ConfigKey.formatDuration(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(ConfigKey.formatDuration(Duration.ZERO)).isEqualTo("0s");
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofMillis(7), Duration.ofSeconds(90), Duration.ofMinutes(61),
                Duration.ofHours(49), Duration.ofDays(2), Duration.ofDays(1)}) {
            assertThat(MtaStsConfiguration.parseDuration(ConfigKey.formatDuration(d))).as(d.toString()).isEqualTo(d);
        }
    }
}
